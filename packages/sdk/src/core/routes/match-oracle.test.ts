import { describe, expect, it } from "vitest";
import { pick, prng, type Rng } from "../../../test/random";
import { compileRouteTable, matchRoute } from "./index";

/**
 * The trie walk against a matcher with no trie: every route is tried on its own, and of those that match the
 * path and the method, the most specific wins. Specificity, segment by segment from the left: a static
 * segment, then a template mixing literals and a parameter (more literal characters first), then a
 * parameter, then `{rest+}`, then `*`; a route that ends where the path ends before a `*` that takes
 * nothing. At one template, the method's own route, then (for HEAD) the GET's, then one for any method.
 * Random tables and paths over a small alphabet, so that routes overlap and the walk must backtrack.
 */

interface Piece {
  text: string;
  /** Lower is more specific; see the file's comment. */
  rank: number;
  /** The segment it takes, or for a catch-all how many it needs at least. */
  test?: (segment: string) => string | undefined;
  catchAll?: 0 | 1;
}

const PIECES: Piece[] = [
  ...["a", "b", "c"].map((text) => ({ text, rank: 0, test: (s: string) => (s === text ? "" : undefined) })),
  // Mixed: more literal characters rank first.
  { text: "{m}.json", rank: 1, test: (s) => /^(.+)\.json$/.exec(s)?.[1] },
  { text: "v{m}", rank: 2, test: (s) => /^v(.+)$/.exec(s)?.[1] },
  { text: "{p}", rank: 3, test: (s) => s },
  { text: "{rest+}", rank: 4, catchAll: 1 },
  { text: "*", rank: 5, catchAll: 0 },
];
const END = -1;
const METHODS = ["GET", "POST", "HEAD", "ANY"];

interface Route {
  method: string;
  pieces: Piece[];
  path: string;
  value: string;
}

function randomRoute(rng: Rng, index: number): Route {
  const pieces: Piece[] = [];
  const length = Math.floor(rng() * 4);
  for (let i = 0; i < length; i++) {
    const piece = pick(rng, PIECES);
    // A catch-all only last; and parameter names must differ within a template.
    if (piece.catchAll !== undefined && i < length - 1) continue;
    pieces.push(piece);
  }
  const path = `/${pieces.map((p, n) => p.text.replace(/\{(\w+)(\+?)\}/, `{$1${n}$2}`)).join("/")}`;
  const method = pick(rng, METHODS);
  return { method, pieces, path, value: `${index}: ${method} ${path}` };
}

/** The route's rank vector for the path's segments and the parameters it takes, or undefined. */
function ranks(
  route: Route,
  segments: string[],
): { ranks: number[]; params: Record<string, string> } | undefined {
  const out: number[] = [];
  const params: Record<string, string> = {};
  const name = (piece: Piece, i: number) => `${/\{(\w+)/.exec(piece.text)![1]}${i}`;
  for (let i = 0; i < route.pieces.length; i++) {
    const piece = route.pieces[i]!;
    const left = segments.length - i;
    if (piece.catchAll !== undefined) {
      if (left < piece.catchAll) return undefined;
      out.push(left === 0 ? piece.rank + 10 : piece.rank);
      params[piece.text === "*" ? "*" : name(piece, i)] = segments.slice(i).join("/");
      return { ranks: out, params };
    }
    const taken = left === 0 ? undefined : piece.test!(segments[i]!);
    if (taken === undefined) return undefined;
    if (piece.rank > 0) params[name(piece, i)] = taken;
    out.push(piece.rank);
  }
  if (segments.length !== route.pieces.length) return undefined;
  out.push(END);
  return { ranks: out, params };
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const methodOrder = (route: Route, method: string) =>
  route.method === method
    ? 0
    : method === "HEAD" && route.method === "GET"
      ? 1
      : route.method === "ANY"
        ? 2
        : -1;

function oracle(routes: Route[], method: string, segments: string[]) {
  let best: { route: Route; ranks: number[]; params: Record<string, string>; order: number } | undefined;
  for (const route of routes) {
    const order = methodOrder(route, method);
    if (order < 0) continue;
    const r = ranks(route, segments);
    if (r === undefined) continue;
    const c = best === undefined ? -1 : compare(r.ranks, best.ranks);
    if (c < 0 || (c === 0 && order < best!.order)) best = { route, ...r, order };
  }
  return best && { value: best.route.value, params: best.params };
}

const SEGMENTS = ["a", "b", "c", "x.json", "v1", "vx.json", "z", ".json", "v"];

describe("matchRoute agrees with a matcher that tries every route", () => {
  it("on random tables and paths", () => {
    const rng = prng(42);
    let matched = 0;
    let checked = 0;
    for (let t = 0; t < 300; t++) {
      const routes: Route[] = [];
      const shapes = new Set<string>();
      for (let i = 0; i < 2 + Math.floor(rng() * 10); i++) {
        const route = randomRoute(rng, i);
        // The table refuses two routes of one method and shape; so does this test.
        const shape = `${route.method === "ANY" ? "*" : route.method} ${route.pieces.map((p) => p.text).join("/")}`;
        if (shapes.has(shape)) continue;
        shapes.add(shape);
        routes.push(route);
      }
      const table = compileRouteTable(
        routes.map((r) => ({ method: r.method, path: r.path, value: r.value })),
      );
      for (let q = 0; q < 40; q++) {
        const segments = Array.from({ length: Math.floor(rng() * 5) }, () => pick(rng, SEGMENTS));
        const method = pick(rng, ["GET", "POST", "HEAD", "DELETE"]);
        // The same path as a client may send it: a trailing slash, a query, a letter percent-encoded.
        let path = `/${segments.join("/")}`;
        if (segments.length > 0 && rng() < 0.2) path += "/";
        if (rng() < 0.2) path += "?q=1/2";
        if (rng() < 0.2) path = path.replace("a", "%61");
        const expected = oracle(routes, method, segments);
        const found = matchRoute(table, method, path);
        const got = found && { value: found.value, params: found.params };
        expect(got, `${method} ${path} in ${routes.map((r) => r.value).join(", ")}`).toEqual(expected);
        checked++;
        if (expected !== undefined) matched++;
      }
    }
    // Most questions found a route, and many did not: both sides are tested.
    expect(matched).toBeGreaterThan(checked / 4);
    expect(checked - matched).toBeGreaterThan(checked / 10);
  });
});
