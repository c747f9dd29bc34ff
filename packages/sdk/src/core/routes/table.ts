import { RouteTableError } from "./errors";
import { parseTemplate } from "./template";

export interface RouteDefinition<T> {
  /** An HTTP method, any case; `*` or `ANY` matches every method. */
  method: string;
  /** `/invoices/{id}` (OpenAPI style) or `/invoices/:id`; `{rest+}` or `*` as the last segment catches the rest. */
  path: string;
  value: T;
}

/** The route a request landed on, as it was defined. */
export interface RouteEntry<T> {
  value: T;
  template: string;
  /** The route's method, upper case (`*` or `ANY` when it matches any). */
  method: string;
  paramNames: string[];
}

/** The routes that end at one trie node, by method. A specific method wins over `any`. */
export interface Endpoint<T> {
  byMethod: Map<string, RouteEntry<T>>;
  any: RouteEntry<T> | undefined;
}

export interface MixedEdge<T> {
  shape: string;
  regex: RegExp;
  literalLength: number;
  node: TrieNode<T>;
}

/**
 * One segment position. Children are tried most specific first — static, mixed (`{id}.json`), parameter,
 * catch-all — and the matcher backtracks, so a request reaches the route with the longest static prefix.
 */
export interface TrieNode<T> {
  statics: Map<string, TrieNode<T>> | undefined;
  /** Kept sorted: more literal characters first, then by shape so the order does not depend on insertion. */
  mixed: MixedEdge<T>[] | undefined;
  param: TrieNode<T> | undefined;
  /** `{rest+}`: one or more remaining segments. */
  catchAll: Endpoint<T> | undefined;
  /** `*`: zero or more remaining segments. */
  wildcard: Endpoint<T> | undefined;
  endpoint: Endpoint<T> | undefined;
}

/** Compiled once per catalog; read by `matchRoute` on every decision. Treat it as opaque. */
export interface RouteTable<T> {
  readonly size: number;
  readonly root: TrieNode<T>;
}

const ANY_METHODS = new Set(["*", "ANY"]);

export function compileRouteTable<T>(routes: RouteDefinition<T>[]): RouteTable<T> {
  const root = emptyNode<T>();
  // Keyed by method and shape: `/users/{id}` and `/users/:userId` are the same route twice.
  const seen = new Map<string, string>();

  for (const route of routes) {
    const method = route.method.toUpperCase();
    const template = parseTemplate(route.path, method);
    const key = `${ANY_METHODS.has(method) ? "*" : method} ${template.shape}`;
    const previous = seen.get(key);
    if (previous !== undefined) {
      throw new RouteTableError(
        "DUPLICATE_ROUTE",
        method,
        route.path,
        `Route ${method} ${route.path} duplicates ${previous}.`,
      );
    }
    seen.set(key, `${method} ${route.path}`);

    let node = root;
    let endpoint: Endpoint<T> | undefined;
    for (const segment of template.segments) {
      if (segment.kind === "static") {
        node.statics ??= new Map();
        let child = node.statics.get(segment.value);
        if (!child) {
          child = emptyNode();
          node.statics.set(segment.value, child);
        }
        node = child;
      } else if (segment.kind === "param") {
        node = node.param ??= emptyNode();
      } else if (segment.kind === "mixed") {
        node = mixedChild(node, segment.shape, segment.regex, segment.literalLength);
      } else if (segment.minSegments === 1) {
        endpoint = node.catchAll ??= emptyEndpoint();
      } else {
        endpoint = node.wildcard ??= emptyEndpoint();
      }
    }
    endpoint ??= node.endpoint ??= emptyEndpoint();

    const entry: RouteEntry<T> = {
      value: route.value,
      template: route.path,
      method,
      paramNames: template.paramNames,
    };
    if (ANY_METHODS.has(method)) endpoint.any = entry;
    else endpoint.byMethod.set(method, entry);
  }

  return { size: routes.length, root };
}

function mixedChild<T>(node: TrieNode<T>, shape: string, regex: RegExp, literalLength: number): TrieNode<T> {
  node.mixed ??= [];
  const existing = node.mixed.find((edge) => edge.shape === shape);
  if (existing) return existing.node;
  const edge: MixedEdge<T> = { shape, regex, literalLength, node: emptyNode() };
  node.mixed.push(edge);
  node.mixed.sort((a, b) => b.literalLength - a.literalLength || (a.shape < b.shape ? -1 : 1));
  return edge.node;
}

function emptyNode<T>(): TrieNode<T> {
  return {
    statics: undefined,
    mixed: undefined,
    param: undefined,
    catchAll: undefined,
    wildcard: undefined,
    endpoint: undefined,
  };
}

function emptyEndpoint<T>(): Endpoint<T> {
  return { byMethod: new Map(), any: undefined };
}
