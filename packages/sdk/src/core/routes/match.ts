import { ambiguousPath } from "./ambiguous";
import type { Endpoint, RouteEntry, RouteTable, TrieNode } from "./table";
import { decodeLiteral } from "./template";

export interface RouteMatch<T> {
  value: T;
  /** Decoded parameter values by name; a catch-all's value is the rest of the path, `/`-joined. */
  params: Record<string, string>;
  /** The matched route's template, as it was defined. */
  template: string;
  /** The matched route's method, upper case (`*` or `ANY` for a route that matches any). */
  method: string;
}

/**
 * Finds the route for a request in O(segments). Query string and fragment are ignored, one trailing slash
 * is tolerated, segments are compared percent-decoded (so `/users/%6De` is `/users/me`, as the backend
 * will see it). Path specificity decides first, then method: a static segment beats a parameter even if
 * the parameter route has the exact method and the static one only ANY. A HEAD that no route names is
 * matched as the GET of the same template (HTTP's HEAD is a GET without the body, and servers answer it
 * with the GET's handler): a rule that opens or closes a GET does the same to its HEAD.
 */
export function matchRoute<T>(table: RouteTable<T>, method: string, path: string): RouteMatch<T> | undefined {
  // Segments are found by index rather than by split(): on a hot path the array and the copies cost more
  // than the trie walk itself.
  let end = path.length;
  const query = path.indexOf("?");
  if (query !== -1) end = query;
  const hash = path.indexOf("#");
  if (hash !== -1 && hash < end) end = hash;
  // A path a server behind the check could read as another matches nothing: deny by default.
  if (ambiguousPath(path, end)) return undefined;
  const start = path.charCodeAt(0) === SLASH ? 1 : 0;
  if (end > start && path.charCodeAt(end - 1) === SLASH) end--;

  const values: string[] = [];
  // An empty path is the root: start past the end, as if its one segment had been consumed.
  const entry = walk(table.root, path, start === end ? end + 1 : start, end, upperCase(method), values);
  if (!entry) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < entry.paramNames.length; i++) params[entry.paramNames[i]!] = values[i]!;
  return { value: entry.value, params, template: entry.template, method: entry.method };
}

const SLASH = 47;

/**
 * Depth-first, most specific child first; `values` is a stack of captures that backtracking unwinds.
 * `path[start, end)` is what is left to match; `start > end` once the last segment is consumed, while
 * `start === end` is an empty last segment (`/users//`).
 */
function walk<T>(
  node: TrieNode<T>,
  path: string,
  start: number,
  end: number,
  method: string,
  values: string[],
): RouteEntry<T> | undefined {
  if (start > end) {
    const found = pick(node.endpoint, method);
    if (found) return found;
    const rest = pick(node.wildcard, method);
    if (rest) values.push("");
    return rest;
  }

  let slash = path.indexOf("/", start);
  if (slash === -1 || slash > end) slash = end;
  // Parameters never match an empty segment (`/users//posts`), and templates have none.
  if (slash === start) return undefined;
  const segment = decodeLiteral(path.slice(start, slash));
  if (segment === undefined) return undefined;
  const next = slash + 1;

  const depth = values.length;
  const child = node.statics?.get(segment);
  if (child) {
    const found = walk(child, path, next, end, method, values);
    if (found) return found;
  }
  if (node.mixed) {
    for (const edge of node.mixed) {
      const captured = edge.regex.exec(segment);
      if (!captured) continue;
      for (let i = 1; i < captured.length; i++) values.push(captured[i]!);
      const found = walk(edge.node, path, next, end, method, values);
      if (found) return found;
      values.length = depth;
    }
  }
  if (node.param) {
    values.push(segment);
    const found = walk(node.param, path, next, end, method, values);
    if (found) return found;
    values.length = depth;
  }
  const rest = pick(node.catchAll, method) ?? pick(node.wildcard, method);
  if (!rest) return undefined;
  const remainder = decodeLiteral(path.slice(start, end));
  if (remainder === undefined) return undefined;
  values.push(remainder);
  return rest;
}

/**
 * The route of one template for the method: its own, else (for a HEAD) the GET's, else one for any method.
 * The GET stands in for its HEAD here, at its own template, and not in a second search after a first one
 * for HEAD failed: that first search would stop at a less specific route for any method (`ANY /admin/*`)
 * and let a HEAD past the rule of the GET whose handler the framework runs for it (`GET /admin/stats`).
 */
function pick<T>(endpoint: Endpoint<T> | undefined, method: string): RouteEntry<T> | undefined {
  if (!endpoint) return undefined;
  return (
    endpoint.byMethod.get(method) ??
    (method === "HEAD" ? endpoint.byMethod.get("GET") : undefined) ??
    endpoint.any
  );
}

/** Requests nearly always carry an upper-case method already; skip the copy then. */
function upperCase(method: string): string {
  switch (method) {
    case "GET":
    case "POST":
    case "PUT":
    case "PATCH":
    case "DELETE":
    case "HEAD":
    case "OPTIONS":
      return method;
    default:
      return method.toUpperCase();
  }
}
