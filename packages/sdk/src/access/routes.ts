import { compileRouteTable, matchRoute, parseTemplate, type RouteTable } from "../core/routes";
import type { Api, ApiOperationRule } from "../core/types";

/**
 * An API's operations by `basePath + path`, the way requests reach it on the wire. Built exactly as the
 * core catalog builds its route rules — same join, the first of two same-shaped routes kept, unparsable
 * templates left out (so nothing matches them: denied) — so the gateway and a route decision agree.
 */
export function compileApiRoutes(api: Api): RouteTable<ApiOperationRule> {
  const base = api.basePath && api.basePath !== "/" ? api.basePath.replace(/\/$/, "") : "";
  const seen = new Set<string>();
  const routes: { method: string; path: string; value: ApiOperationRule }[] = [];
  for (const op of api.operations) {
    const path = `${base}${op.path}`;
    let shape: string;
    try {
      shape = `${op.method.toUpperCase()} ${parseTemplate(path, op.method).shape}`;
    } catch {
      continue;
    }
    if (seen.has(shape)) continue;
    seen.add(shape);
    routes.push({ method: op.method, path, value: op });
  }
  return compileRouteTable(routes);
}

/** The operation a request lands on (a HEAD with no route of its own lands on its GET: see matchRoute). */
export function findOperation(
  table: RouteTable<ApiOperationRule>,
  method: string,
  path: string,
): ApiOperationRule | undefined {
  return matchRoute(table, method, path)?.value;
}
