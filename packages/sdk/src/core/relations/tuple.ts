/**
 * A relationship tuple, shaped like OpenFGA's tuple key so its files and APIs map directly:
 * `document:1#viewer@user:anne`, `...@user:*`, `...@group:eng#member`.
 */
export interface RelationTuple {
  object: string;
  relation: string;
  user: string;
  condition?: { name: string; context?: Record<string, unknown> };
  /** Epoch milliseconds; from this instant on the tuple grants nothing. */
  expiresAt?: number;
}

/** A user reference split into its parts. `relation` is set for a userset, `wildcard` for `type:*`. */
export interface ParsedUser {
  type: string;
  id: string;
  relation?: string;
  wildcard: boolean;
}

export interface ParsedObject {
  type: string;
  id: string;
}

/** Whitespace, `#`, `@` and (in names) `:` are never part of a type, id or relation; checked by char code, as this runs on every request. */
function isCleanSegment(value: string, from: number, to: number, allowColon: boolean): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    if (
      c <= 32 ||
      c === 35 /* # */ ||
      c === 64 /* @ */ ||
      c === 127 ||
      c === 0xa0 ||
      (c === 58 /* : */ && !allowColon)
    )
      return false;
    if (c > 0x2000 && /\s/.test(value[i]!)) return false;
  }
  return true;
}

/** `type:id`; the id may itself hold colons (OpenFGA splits at the first one). */
export function parseObject(value: string): ParsedObject | null {
  if (typeof value !== "string") return null;
  const colon = value.indexOf(":");
  if (!isCleanSegment(value, 0, colon, false) || !isCleanSegment(value, colon + 1, value.length, true))
    return null;
  return { type: value.slice(0, colon), id: value.slice(colon + 1) };
}

export function parseUser(value: string): ParsedUser | null {
  if (typeof value !== "string") return null;
  const hash = value.indexOf("#");
  const end = hash < 0 ? value.length : hash;
  const colon = value.indexOf(":");
  if (colon < 0 || colon > end) return null;
  if (!isCleanSegment(value, 0, colon, false) || !isCleanSegment(value, colon + 1, end, false)) return null;
  if (hash >= 0 && !isCleanSegment(value, hash + 1, value.length, false)) return null;
  const type = value.slice(0, colon);
  const id = value.slice(colon + 1, end);
  const wildcard = id === "*";
  if (hash < 0) return { type, id, wildcard };
  if (wildcard) return null;
  return { type, id, relation: value.slice(hash + 1), wildcard };
}

export function tupleToString(t: Pick<RelationTuple, "object" | "relation" | "user">): string {
  return `${t.object}#${t.relation}@${t.user}`;
}
