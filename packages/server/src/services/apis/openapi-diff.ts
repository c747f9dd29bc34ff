import type { ApiOperation, ParsedApi } from "./openapi-types";

export type OperationField =
  | "name"
  | "operationId"
  | "method"
  | "path"
  | "summary"
  | "tags"
  | "deprecated"
  | "security"
  | "alternatives";

export interface OperationChange {
  /** The operation's name in the next version. */
  name: string;
  before: ApiOperation;
  after: ApiOperation;
  fields: OperationField[];
  scopesAdded: string[];
  scopesRemoved: string[];
}

export interface ApiDiff {
  added: ApiOperation[];
  removed: ApiOperation[];
  changed: OperationChange[];
  /** Scopes of the API's catalog, not of one operation. */
  scopesAdded: string[];
  scopesRemoved: string[];
}

/**
 * What re-importing a description changes. Operations pair up by name first; what is left pairs up by
 * method and path when that is unambiguous on both sides, so giving an operation an operationId (or
 * renaming it) shows as a change of one operation rather than a removal and an addition. Lists follow the
 * next document's order (removals: the previous one's).
 */
export function diffApi(previous: ParsedApi, next: ParsedApi): ApiDiff {
  const before = new Map(previous.operations.map((o) => [o.name, o]));
  const pairs = new Map<ApiOperation, ApiOperation>();
  const unmatchedAfter: ApiOperation[] = [];
  for (const after of next.operations) {
    const match = before.get(after.name);
    if (match) {
      pairs.set(after, match);
      before.delete(after.name);
    } else unmatchedAfter.push(after);
  }

  const leftBefore = uniqueByEndpoint([...before.values()]);
  const leftAfter = uniqueByEndpoint(unmatchedAfter);
  for (const [endpoint, after] of leftAfter) {
    const match = leftBefore.get(endpoint);
    if (!match) continue;
    pairs.set(after, match);
    before.delete(match.name);
  }

  const changed: OperationChange[] = [];
  for (const after of next.operations) {
    const match = pairs.get(after);
    if (!match) continue;
    const fields = changedFields(match, after);
    if (fields.length === 0) continue;
    changed.push({
      name: after.name,
      before: match,
      after,
      fields,
      scopesAdded: minus(after.scopes, match.scopes),
      scopesRemoved: minus(match.scopes, after.scopes),
    });
  }

  const scopeNames = (api: ParsedApi) => api.scopes.map((s) => s.name);
  return {
    added: next.operations.filter((o) => !pairs.has(o)),
    removed: previous.operations.filter((o) => before.has(o.name)),
    changed,
    scopesAdded: minus(scopeNames(next), scopeNames(previous)),
    scopesRemoved: minus(scopeNames(previous), scopeNames(next)),
  };
}

/** Operations keyed by method, path and variant, leaving out any key two operations share. */
function uniqueByEndpoint(operations: ApiOperation[]): Map<string, ApiOperation> {
  const byKey = new Map<string, ApiOperation | null>();
  for (const o of operations) {
    const key = `${o.method} ${o.path}#${o.variant ?? ""}`;
    byKey.set(key, byKey.has(key) ? null : o);
  }
  return new Map([...byKey].filter((entry): entry is [string, ApiOperation] => entry[1] !== null));
}

function changedFields(a: ApiOperation, b: ApiOperation): OperationField[] {
  const fields: OperationField[] = [];
  const differ = (field: OperationField, x: unknown, y: unknown) => {
    if (x !== y) fields.push(field);
  };
  differ("name", a.name, b.name);
  differ("operationId", a.operationId, b.operationId);
  differ("method", a.method, b.method);
  differ("path", a.path, b.path);
  differ("summary", a.summary, b.summary);
  differ("tags", a.tags.join("\n"), b.tags.join("\n"));
  differ("deprecated", a.deprecated ?? false, b.deprecated ?? false);
  differ("security", a.security, b.security);
  differ("alternatives", canonical(a.alternatives), canonical(b.alternatives));
  return fields;
}

/** Alternatives are sets of sets: their order, and the order of scopes in each, carry no meaning. */
function canonical(alternatives: string[][]): string {
  return alternatives
    .map((a) => JSON.stringify([...a].sort()))
    .sort()
    .join("|");
}

function minus(a: string[], b: string[]): string[] {
  const exclude = new Set(b);
  return [...new Set(a)].filter((x) => !exclude.has(x));
}
