import type { relations } from "@tessera/sdk/core";
import type { StoredTuple, TupleKey } from "../../storage/relationship-store";
import { isStorableText } from "../../storage/storable-text";

/** A tuple as the API takes and returns it: expiry as an ISO-8601 string. */
export type TupleInput = StoredTuple;

/** The engine's form: expiry in epoch milliseconds. */
export function toRelationTuple(t: StoredTuple): relations.RelationTuple {
  const out: relations.RelationTuple = { object: t.object, relation: t.relation, user: t.user };
  if (t.condition) out.condition = t.condition;
  if (t.expiresAt !== undefined) out.expiresAt = Date.parse(t.expiresAt);
  return out;
}

/** Normalises an API tuple for storage: a canonical ISO expiry, no empty condition. */
export function normaliseTuple(t: TupleInput): StoredTuple {
  const out: StoredTuple = { object: t.object, relation: t.relation, user: t.user };
  if (t.condition?.name) out.condition = t.condition;
  if (t.expiresAt !== undefined) out.expiresAt = new Date(t.expiresAt).toISOString();
  return out;
}

export function tupleKey(t: TupleKey): string {
  return `${t.object}#${t.relation}@${t.user}`;
}

/** List cursors are opaque: the last key of the page, base64url JSON. */
export function encodeTupleCursor(t: TupleKey): string {
  return Buffer.from(JSON.stringify([t.object, t.relation, t.user])).toString("base64url");
}

export function decodeTupleCursor(cursor: string): TupleKey | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "string" && isStorableText(x))) {
      const [object, relation, user] = v as [string, string, string];
      return { object, relation, user };
    }
  } catch {
    // fall through: not a cursor we issued
  }
  return undefined;
}
