import type { Api, ApiAccess, Grant, Plan } from "@tessera/sdk/core";
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
  async check(_tx, doc) {
    if (doc.key !== apiKey(doc.name, doc.majorVersion)) invalid("/key", "An API's key is name@majorVersion.");
  },
  async beforeDelete(tx, doc) {
    const users: { kind: string; id: string }[] = [];
    for (const p of await tx.list<Plan>("plan")) {
      if (p.data.apiAccess?.some((a) => a.api === doc.key)) users.push({ kind: "plan", id: p.id });
    }
    for (const g of await tx.list<Grant>("grant"))
      if (g.data.apiAccess?.api === doc.key) users.push({ kind: "grant", id: g.id });
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
