/**
 * Stable codes of the relationship engine. The server maps each to an HTTP status; clients branch on them.
 * Add new ones at the end; never rename.
 */
export const RELATION_ERROR_CODES = [
  "INVALID_INPUT",
  "INVALID_MODEL",
  "INVALID_TUPLE",
  "UNKNOWN_TYPE",
  "UNKNOWN_RELATION",
  "CONDITION_ERROR",
  "RELATION_DEPTH_EXCEEDED",
  "INVALID_CURSOR",
] as const;

export type RelationErrorCode = (typeof RELATION_ERROR_CODES)[number];

/** One problem, as a value: `path` names the offending field (e.g. `user`, `type_definitions[2].relations.viewer`). */
export interface RelationIssue {
  code: RelationErrorCode;
  message: string;
  path: string;
}

/** Thrown only where a caller handed us malformed data it should have validated (e.g. `TupleStore.write`). */
export class RelationError extends Error {
  readonly code: RelationErrorCode;
  readonly issues: RelationIssue[];
  constructor(issues: RelationIssue[]) {
    super(issues.map((i) => i.message).join("; "));
    this.name = "RelationError";
    this.code = issues[0]?.code ?? "INVALID_INPUT";
    this.issues = issues;
  }
}

export function issue(code: RelationErrorCode, message: string, path: string): RelationIssue {
  return { code, message, path };
}
