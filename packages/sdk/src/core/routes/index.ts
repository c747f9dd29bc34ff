export { ambiguousPath } from "./ambiguous";
export { isRouteTableError, RouteTableError, type RouteTableErrorCode } from "./errors";
export { matchRoute, type RouteMatch } from "./match";
export { compileRouteTable, type RouteDefinition, type RouteTable } from "./table";
export { type ParsedTemplate, parseTemplate } from "./template";
