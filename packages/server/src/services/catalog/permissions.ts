import type { Grant, Permission, Role, RouteRule } from "@tessera/sdk/core";
import type { PermissionInput } from "../../schemas/catalog";
import { compact, type KindDefinition, mergePatch, refuseIfUsed, requireReferences } from "./definition";

export const permissions: KindDefinition<Permission, PermissionInput, Partial<PermissionInput>> = {
  kind: "permission",
  idField: "key",
  idOf: (p) => p.key,
  build: (input) => compact({ ...input }),
  patch: (current, patch) => mergePatch(current, patch),
  async check(tx, doc) {
    await requireReferences(tx, [{ kind: "feature", id: doc.featureKey, pointer: "/featureKey" }]);
  },
  async beforeDelete(tx, doc) {
    const users: { kind: string; id: string }[] = [];
    for (const r of await tx.list<Role>("role"))
      if (r.data.permissions.includes(doc.key)) users.push({ kind: "role", id: r.id });
    for (const r of await tx.list<RouteRule>("route")) {
      if (r.data.permissionKey === doc.key) users.push({ kind: "route", id: r.id });
    }
    for (const g of await tx.list<Grant>("grant"))
      if (g.data.permissionKey === doc.key) users.push({ kind: "grant", id: g.id });
    refuseIfUsed("permission", doc.key, users);
  },
};
