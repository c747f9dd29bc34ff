import { parseTemplate, type RouteDefinition } from "@tessera/sdk/core";
import type { ApiOperation, ParsedApi } from "./openapi-types";

export interface RouteOptions {
  /**
   * Prefix for every template, e.g. `api.basePath` when the check sees the full URL path (a gateway in
   * front of `https://api.box.com/2.0`). Default "": the document's paths, for middleware mounted at the
   * base path.
   */
  basePath?: string;
}

/**
 * The route rules of an imported API, one per distinct method and template. When several operations are
 * the same request (Box's `/files/{file_id}` and `/files/{file_id}#get_shared_link`), the one without a
 * `#variant` wins, else the first: a route check cannot tell them apart, and the primary is what a
 * request to that URL is. The shadowed variants stay operations of the API, and their scopes grantable.
 */
export function toRouteDefinitions(
  api: ParsedApi,
  options: RouteOptions = {},
): RouteDefinition<ApiOperation>[] {
  const prefix = (options.basePath ?? "").replace(/\/+$/, "");
  const chosen = new Map<string, { operation: ApiOperation; path: string; primary: boolean }>();
  for (const operation of api.operations) {
    const path = prefix + openApiToRouteTemplate(operation.path);
    const key = `${operation.method} ${parseTemplate(path).shape}`;
    const primary = operation.variant === undefined;
    const current = chosen.get(key);
    if (!current || (primary && !current.primary)) chosen.set(key, { operation, path, primary });
  }
  return [...chosen.values()].map(({ operation, path }) => ({
    method: operation.method,
    path,
    value: operation,
  }));
}

/**
 * In OpenAPI only `{name}` is a parameter. The route table also reads `:name` and `*` segments as
 * parameters, so those literals are percent-encoded; the table decodes literals, so they still match.
 */
export function openApiToRouteTemplate(path: string): string {
  return path
    .split("/")
    .map((segment) =>
      segment === "*" ? "%2A" : segment.startsWith(":") ? `%3A${segment.slice(1)}` : segment,
    )
    .join("/");
}
