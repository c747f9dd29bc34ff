import type { Grant, Membership, Plan, Role } from "@tessera/sdk/core";
import type { RoleInput } from "../../schemas/catalog";
import type { WriteTransaction } from "../../storage/store";
import {
  compact,
  invalid,
  type KindDefinition,
  mergePatch,
  refuseIfUsed,
  requireReferences,
} from "./definition";

export const roles: KindDefinition<Role, RoleInput, Partial<RoleInput>> = {
  kind: "role",
  idField: "key",
  idOf: (r) => r.key,
  build: (input) =>
    compact({
      ...input,
      permissions: unique(input.permissions ?? []),
      includes: unique(input.includes ?? []),
    }),
  patch: (current, patch) => {
    const next = mergePatch(current, patch);
    return { ...next, permissions: unique(next.permissions ?? []), includes: unique(next.includes ?? []) };
  },
  async check(tx, doc) {
    await requireReferences(tx, [
      ...doc.permissions.map((key, i) => ({
        kind: "permission" as const,
        id: key,
        pointer: `/permissions/${i}`,
      })),
      ...(doc.includes ?? []).map((key, i) => ({
        kind: "role" as const,
        id: key,
        pointer: `/includes/${i}`,
      })),
    ]);
    await refuseCycle(tx, doc);
  },
  async beforeDelete(tx, doc) {
    const users: { kind: string; id: string }[] = [];
    for (const r of await tx.list<Role>("role"))
      if (r.data.includes?.includes(doc.key)) users.push({ kind: "role", id: r.id });
    for (const m of await tx.list<Membership>("membership")) {
      if (m.data.roles.includes(doc.key)) users.push({ kind: "membership", id: m.id });
    }
    // A role of scopes is named by plans and grants of API access.
    for (const p of await tx.list<Plan>("plan")) {
      if (p.data.apiAccess?.some((a) => a.roles?.includes(doc.key))) users.push({ kind: "plan", id: p.id });
    }
    for (const g of await tx.list<Grant>("grant")) {
      if (g.data.apiAccess?.roles?.includes(doc.key)) users.push({ kind: "grant", id: g.id });
    }
    refuseIfUsed("role", doc.key, users);
  },
};

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** A role may not include itself, directly or through others: its permissions would have no end. */
async function refuseCycle(tx: WriteTransaction, doc: Role): Promise<void> {
  const all = new Map((await tx.list<Role>("role")).map((r) => [r.id, r.data]));
  all.set(doc.key, doc);
  const stack = [...(doc.includes ?? [])];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const key = stack.pop()!;
    if (key === doc.key) invalid("/includes", `Role "${doc.key}" would include itself.`);
    if (seen.has(key)) continue;
    seen.add(key);
    stack.push(...(all.get(key)?.includes ?? []));
  }
}
