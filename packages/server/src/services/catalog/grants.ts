import { randomUUID } from "node:crypto";
import type { Feature, Grant } from "@tessera/sdk/core";
import type { GrantInput } from "../../schemas/catalog";
import { checkApiAccess } from "./apis";
import { compact, invalid, type KindDefinition, mergePatch, requireReferences } from "./definition";
import { valueProblem } from "./plans";

export const grants: KindDefinition<Grant, GrantInput, Partial<GrantInput>> = {
  kind: "grant",
  idField: "id",
  idOf: (g) => g.id,
  build: (input) => compact({ ...input, id: input.id ?? `gr_${randomUUID().replaceAll("-", "")}` }) as Grant,
  patch: (current, patch) => mergePatch(current, patch),
  async check(tx, doc, before) {
    if (before && (before.tenantId !== doc.tenantId || (before.userId ?? null) !== (doc.userId ?? null))) {
      invalid("/tenantId", "A grant cannot move to another tenant or user.");
    }
    if ([doc.featureKey, doc.permissionKey, doc.apiAccess].filter(Boolean).length !== 1) {
      invalid("", "A grant names exactly one of featureKey, permissionKey and apiAccess.");
    }
    if (doc.apiAccess) await checkApiAccess(tx, doc.apiAccess, "/apiAccess");
    if (doc.permissionKey && doc.value !== undefined) invalid("/value", "A permission grant has no value.");
    await requireReferences(tx, [
      { kind: "tenant", id: doc.tenantId, pointer: "/tenantId" },
      { kind: "user", id: doc.userId, pointer: "/userId" },
      { kind: "feature", id: doc.featureKey, pointer: "/featureKey" },
      { kind: "permission", id: doc.permissionKey, pointer: "/permissionKey" },
    ]);
    if (doc.featureKey) {
      const feature = (await tx.get<Feature>("feature", doc.featureKey))!.data;
      const problem = valueProblem(feature, doc.value);
      if (problem) invalid("/value", problem, "TYPE_MISMATCH");
    }
    if (doc.startAt && doc.expiresAt && Date.parse(doc.expiresAt) <= Date.parse(doc.startAt)) {
      invalid("/expiresAt", "expiresAt must come after startAt.");
    }
  },
};
