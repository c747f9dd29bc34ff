import type { Tenant } from "@tessera/sdk/core";
import type { TenantInput } from "../../schemas/catalog";
import { compact, type KindDefinition, mergePatch, refuseIfUsed } from "./definition";

/**
 * Deleting a tenant takes its subscriptions, grants and memberships with it, in the same write. A tenant
 * whose applications still work is not deleted: they would outlive it, and a new tenant given its id would
 * inherit them, credentials and all. Revoke them first (revoking an application revokes its keys).
 */
export const tenants: KindDefinition<Tenant, TenantInput, Partial<TenantInput>> = {
  kind: "tenant",
  idField: "id",
  idOf: (t) => t.id,
  build: (input) => compact({ ...input, attributes: input.attributes ?? {} }) as Tenant,
  patch: (current, patch) => mergePatch(current, patch),
  async check() {},
  async beforeDelete(tx, doc) {
    const live: { kind: string; id: string }[] = [];
    for (let after: string | undefined; ; ) {
      const page = await tx.credentials.listApplications(tx.environmentId, {
        tenantId: doc.id,
        after,
        limit: 500,
      });
      for (const app of page) if (app.revokedAt === null) live.push({ kind: "application", id: app.id });
      if (page.length < 500) break;
      after = page.at(-1)!.id;
    }
    refuseIfUsed("tenant", doc.id, live);
    for (const kind of ["subscription", "grant", "membership"] as const) {
      for (const dependent of await tx.findBy(kind, "tenantId", doc.id)) await tx.delete(kind, dependent.id);
    }
  },
};
