import { RouteTableError } from "./errors";

/** One `/`-separated piece of a path template, as the trie stores it. */
export type SegmentPattern =
  | { kind: "static"; value: string }
  | { kind: "param"; name: string }
  | { kind: "mixed"; shape: string; names: string[]; literalLength: number; regex: RegExp }
  | { kind: "catchAll"; name: string; minSegments: 0 | 1 };

export interface ParsedTemplate {
  segments: SegmentPattern[];
  /** Parameter names in the order the matcher captures their values. */
  paramNames: string[];
  /**
   * The template with parameter names erased: `/users/{id}` and `/users/:userId` share the shape `/users/{}`.
   * Two routes of one method and one shape could never be told apart, so the shape is the duplicate key.
   */
  shape: string;
}

const COLON_PARAM = /^:([A-Za-z_][\w-]*)$/;
const CATCH_ALL = /^\{([^{}/]+)\+\}$/;

/** Parses an OpenAPI (`/files/{id}.json`) or colon-style (`/files/:id`) template. Throws INVALID_ROUTE. */
export function parseTemplate(path: string, method = "*"): ParsedTemplate {
  const invalid = (why: string) =>
    new RouteTableError("INVALID_ROUTE", method, path, `Route ${method} ${path}: ${why}.`);
  if (path.includes("?") || path.includes("#")) throw invalid("a template has no query string or fragment");

  const body = trimSlashes(path);
  const raw = body === "" ? [] : body.split("/");
  const segments: SegmentPattern[] = [];
  const paramNames: string[] = [];
  const shapes: string[] = [];
  const addName = (name: string) => {
    if (paramNames.includes(name)) throw invalid(`parameter {${name}} appears twice`);
    paramNames.push(name);
  };

  raw.forEach((text, index) => {
    const last = index === raw.length - 1;
    if (text === "") throw invalid("empty segment");
    const catchAll = text === "*" ? "*" : CATCH_ALL.exec(text)?.[1];
    if (catchAll !== undefined) {
      if (!last) throw invalid(`catch-all ${text} must be the last segment`);
      addName(catchAll);
      // `{path+}` is API Gateway's greedy parameter: one or more segments. `*` also matches none.
      const minSegments = text === "*" ? 0 : 1;
      segments.push({ kind: "catchAll", name: catchAll, minSegments });
      shapes.push(text === "*" ? "*" : "{+}");
      return;
    }
    const colon = COLON_PARAM.exec(text)?.[1];
    if (colon !== undefined) {
      addName(colon);
      segments.push({ kind: "param", name: colon });
      shapes.push("{}");
      return;
    }
    if (!text.includes("{") && !text.includes("}")) {
      const value = decodeLiteral(text);
      if (value === undefined) throw invalid(`malformed percent-encoding in ${text}`);
      segments.push({ kind: "static", value });
      shapes.push(value);
      return;
    }
    const pattern = parseMixed(text, invalid);
    pattern.names.forEach(addName);
    if (pattern.literals.every((l) => l === "") && pattern.names.length === 1) {
      segments.push({ kind: "param", name: pattern.names[0]! });
      shapes.push("{}");
      return;
    }
    const shape = pattern.literals.join("{}");
    segments.push({
      kind: "mixed",
      shape,
      names: pattern.names,
      literalLength: pattern.literals.reduce((n, l) => n + l.length, 0),
      // Lazy groups: in `{id}.json` the id takes as little as it can, so `a.b.json` gives `a.b`.
      regex: new RegExp(`^${pattern.literals.map(escapeRegExp).join("([\\s\\S]+?)")}$`),
    });
    shapes.push(shape);
  });

  return { segments, paramNames, shape: `/${shapes.join("/")}` };
}

/** `literals` has one more entry than `names`: literal, name, literal, … (literals may be empty). */
function parseMixed(text: string, invalid: (why: string) => Error): { literals: string[]; names: string[] } {
  const literals: string[] = [];
  const names: string[] = [];
  let cursor = 0;
  while (cursor <= text.length) {
    const open = text.indexOf("{", cursor);
    const literal = text.slice(cursor, open === -1 ? text.length : open);
    if (literal.includes("}")) throw invalid(`unbalanced braces in ${text}`);
    const decoded = decodeLiteral(literal);
    if (decoded === undefined) throw invalid(`malformed percent-encoding in ${text}`);
    literals.push(decoded);
    if (open === -1) break;
    const close = text.indexOf("}", open);
    const name = close === -1 ? "" : text.slice(open + 1, close);
    if (close === -1 || name === "" || name.includes("{")) throw invalid(`unbalanced braces in ${text}`);
    if (name.endsWith("+")) throw invalid(`catch-all {${name}} must be a whole segment`);
    // `{a}{b}` has no literal to split on: which characters belong to which parameter is undecidable.
    if (names.length > 0 && literal === "")
      throw invalid(`parameters in ${text} need a literal between them`);
    names.push(name);
    cursor = close + 1;
  }
  return { literals, names };
}

/** Drops one leading and one trailing slash: `/a/b/` and `a/b` are the same route. */
export function trimSlashes(path: string): string {
  const start = path.charCodeAt(0) === 47 ? 1 : 0;
  let end = path.length;
  if (end > start && path.charCodeAt(end - 1) === 47) end--;
  return path.slice(start, end);
}

/** Decodes `%XX` escapes; undefined when they are malformed. */
export function decodeLiteral(text: string): string | undefined {
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
