import type { Membership } from "@tessera/sdk/core";
import { type KindDefinition, requireReferences } from "./definition";

export function membershipId(tenantId: string, userId: string): string {
  return `${tenantId}/${userId}`;
}

/** A user's roles in a tenant. Written with PUT (create or replace), so build and patch are the same. */
export const memberships: KindDefinition<Membership, Membership, { roles: string[] }> = {
  kind: "membership",
  idField: "userId",
  idOf: (m) => membershipId(m.tenantId, m.userId),
  build: (input) => ({ tenantId: input.tenantId, userId: input.userId, roles: [...new Set(input.roles)] }),
  patch: (current, patch) => ({ ...current, roles: [...new Set(patch.roles)] }),
  async check(tx, doc) {
    await requireReferences(tx, [
      { kind: "tenant", id: doc.tenantId, pointer: "/tenantId" },
      { kind: "user", id: doc.userId, pointer: "/userId" },
      ...doc.roles.map((key, i) => ({ kind: "role" as const, id: key, pointer: `/roles/${i}` })),
    ]);
  },
};
