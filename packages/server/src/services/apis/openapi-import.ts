/**
 * Importing an OpenAPI or Swagger description as an API of Tessera: its operations, the scopes each
 * requires, the route rules that gate them, and what changed since the previous import. No HTTP and no
 * storage here; the service layer calls these and stores the result.
 */
export { type ApiDiff, diffApi, type OperationChange, type OperationField } from "./openapi-diff";
export { parseApiDocument } from "./openapi-parse";
export { openApiToRouteTemplate, type RouteOptions, toRouteDefinitions } from "./openapi-routes";
export {
  ApiDocumentError,
  type ApiOperation,
  type ApiScope,
  type ApiWarning,
  isApiDocumentError,
  type OperationSecurity,
  type ParsedApi,
} from "./openapi-types";
