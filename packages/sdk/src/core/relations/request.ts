import type { RelationEngine } from "./engine";
import { issue, type RelationIssue } from "./errors";
import { createEngineOverlay } from "./overlay";
import { parseUser, type RelationTuple } from "./tuple";
import type { TupleStore } from "./tuple-store";
import { validateTuples } from "./validate-tuple";

/** Inputs every query accepts besides its subject. */
export interface QueryOptions {
  /** Request context, merged with each tuple's condition context (the tuple's values win). */
  context?: Record<string, unknown>;
  /** Tuples that hold for this request only, in addition to the stored ones. */
  contextualTuples?: RelationTuple[];
  /** Evaluation time in epoch ms (tuple expiry, and nothing else); defaults to Date.now(). */
  at?: number;
}

export interface ResolvedUser {
  name: string;
  objectName: string;
  typeId: number;
  relId: number;
}

/** Checks that the user names a type (and relation) of the model; problems are INVALID_INPUT at `path`. */
export function resolveUser(
  engine: RelationEngine,
  user: string,
  path: string,
): ResolvedUser | RelationIssue {
  const parsed = parseUser(user);
  if (!parsed)
    return issue(
      "INVALID_INPUT",
      `invalid user '${user}' (expected type:id, type:* or type:id#relation)`,
      path,
    );
  const type = engine.model.types.get(parsed.type);
  if (!type)
    return issue("INVALID_INPUT", `type '${parsed.type}' of user '${user}' is not in the model`, path);
  if (parsed.relation !== undefined && !type.relations.has(parsed.relation)) {
    return issue(
      "INVALID_INPUT",
      `relation '${parsed.type}#${parsed.relation}' of user '${user}' is not in the model`,
      path,
    );
  }
  const s = engine.store.symbols;
  return {
    name: user,
    // The caller's own string when possible: its hash is cached, so the index lookup does not rehash.
    objectName: parsed.relation === undefined ? user : `${parsed.type}:${parsed.id}`,
    typeId: s.typeId(parsed.type),
    relId: parsed.relation === undefined ? 0 : s.relationId(parsed.relation),
  };
}

/** Validates contextual tuples and indexes them in a throwaway overlay; null when there are none. */
export function contextualOverlay(
  engine: RelationEngine,
  tuples: RelationTuple[] | undefined,
): TupleStore | null | RelationIssue {
  if (!tuples || tuples.length === 0) return null;
  const problems = validateTuples(engine.model, tuples, "contextualTuples");
  if (problems.length > 0) return problems[0]!;
  return createEngineOverlay(engine, tuples);
}

export function isIssue(v: unknown): v is RelationIssue {
  return typeof v === "object" && v !== null && "code" in v && "message" in v && "path" in v;
}
