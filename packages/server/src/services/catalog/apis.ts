import type { Api, ApiAccess, Grant, Plan } from "@tessera/sdk/core";
import { TesseraError } from "../../errors";
import type { WriteTransaction } from "../../storage/store";
import { invalid, type KindDefinition, refuseIfUsed, requireReferences } from "./definition";

/** The key of an API's major version: entitlements belong to it, so v1 grants never open v2. */
export function apiKey(name: string, majorVersion: number): string {
  return `${name}@${majorVersion}`;
}

/** APIs are written by the OpenAPI import (services/apis), whole: build and patch take the compiled API. */
export const apis: KindDefinition<Api, Api, Api> = {
  kind: "api",
  idField: "key",
  idOf: (a) => a.key,
  build: (input) => input,
  patch: (_current, next) => next,
  async check(tx, doc) {
    if (doc.key !== apiKey(doc.name, doc.majorVersion)) invalid("/key", "An API's key is name@majorVersion.");
    // Inside the write transaction: two writes cannot both take one audience.
    const others = (await tx.list<Api>("api")).map((r) => r.data);
    refuseSharedAudience(doc, others);
  },
  async beforeDelete(tx, doc) {
    const users: { kind: string; id: string }[] = [];
    for (const p of await tx.list<Plan>("plan")) {
      if (p.data.apiAccess?.some((a) => a.api === doc.key)) users.push({ kind: "plan", id: p.id });
    }
    for (const g of await tx.list<Grant>("grant"))
      if (g.data.apiAccess?.api === doc.key) users.push({ kind: "grant", id: g.id });
    // Live credentials naming it too: they would outlive it, and come back to life with the next import of
    // an API under the same key (as an application would with a tenant's id).
    const env = tx.environmentId;
    for (const a of await tx.credentials.listAllApplications())
      if (a.environmentId === env && a.revokedAt === null && a.defaultApi === doc.key)
        users.push({ kind: "application", id: a.id });
    for (const k of await tx.credentials.listAllApiKeys())
      if (k.environmentId === env && k.revokedAt === null && k.api === doc.key)
        users.push({ kind: "API key", id: k.id });
    refuseIfUsed("api", doc.key, users);
  },
};

/** API access must name an API that exists, roles that exist, and scopes that API declares. */
export async function checkApiAccess(
  tx: WriteTransaction,
  access: ApiAccess,
  pointer: string,
): Promise<void> {
  await requireReferences(tx, [
    { kind: "api", id: access.api, pointer: `${pointer}/api` },
    ...(access.roles ?? []).map((key, i) => ({
      kind: "role" as const,
      id: key,
      pointer: `${pointer}/roles/${i}`,
    })),
  ]);
  const api = (await tx.get<Api>("api", access.api))!.data;
  const declared = new Set(api.scopes.map((s) => s.name));
  for (const op of api.operations)
    for (const alternative of op.alternatives) for (const s of alternative) declared.add(s);
  for (const [i, scope] of (access.scopes ?? []).entries()) {
    if (!declared.has(scope))
      invalid(`${pointer}/scopes/${i}`, `API "${api.key}" declares no scope "${scope}".`);
  }
}

/**
 * An audience belongs to one API. Tokens name an API by its audience, else its key, and the token endpoint's
 * `resource` finds it by either, so an API may not answer to a name (its audience, or its key) that another
 * API of the environment already answers to: a grant on one would open the other.
 */
export function refuseSharedAudience(doc: Api, others: Iterable<Api>): void {
  const names = new Set([doc.key, doc.audience ?? doc.key]);
  for (const other of others) {
    if (other.key === doc.key) continue;
    const taken = [other.key, other.audience ?? other.key].find((name) => names.has(name));
    if (taken === undefined) continue;
    const pointer = taken === doc.audience ? "/audience" : "/key";
    const message = `The audience "${taken}" already belongs to API "${other.key}".`;
    throw new TesseraError("DUPLICATE_KEY", message, [{ pointer, message, code: "DUPLICATE_KEY" }]);
  }
}
