import type { Tenant } from "@tessera/sdk/core";
import type { TenantInput } from "../../schemas/catalog";
import { compact, type KindDefinition, mergePatch } from "./definition";

/** Deleting a tenant takes its subscriptions, grants and memberships with it, in the same write. */
export const tenants: KindDefinition<Tenant, TenantInput, Partial<TenantInput>> = {
  kind: "tenant",
  idField: "id",
  idOf: (t) => t.id,
  build: (input) => compact({ ...input, attributes: input.attributes ?? {} }) as Tenant,
  patch: (current, patch) => mergePatch(current, patch),
  async check() {},
  async beforeDelete(tx, doc) {
    for (const kind of ["subscription", "grant", "membership"] as const) {
      for (const dependent of await tx.findBy(kind, "tenantId", doc.id)) await tx.delete(kind, dependent.id);
    }
  },
};
