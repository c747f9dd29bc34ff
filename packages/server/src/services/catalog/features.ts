import type { Feature, Grant, Permission, Plan, RouteRule } from "@tessera/sdk/core";
import type { FeatureInput } from "../../schemas/catalog";
import {
  compact,
  invalid,
  type KindDefinition,
  mergePatch,
  refuseIfUsed,
  requireReferences,
} from "./definition";

export const features: KindDefinition<Feature, FeatureInput, Partial<FeatureInput>> = {
  kind: "feature",
  idField: "key",
  idOf: (f) => f.key,
  build: (input) => compact({ ...input, archived: input.archived ?? false }),
  patch: (current, patch) => mergePatch(current, patch),
  async check(tx, doc) {
    if (doc.type !== "limit" && doc.resetPeriod) {
      invalid("/resetPeriod", "Only limit features have a reset period.", "TYPE_MISMATCH");
    }
    await requireReferences(tx, [{ kind: "flag", id: doc.flagKey, pointer: "/flagKey" }]);
  },
  async beforeDelete(tx, doc) {
    const users: { kind: string; id: string }[] = [];
    // Own keys only: `in` would find "toString" in every plan's features.
    for (const p of await tx.list<Plan>("plan"))
      if (Object.hasOwn(p.data.features, doc.key)) users.push({ kind: "plan", id: p.id });
    for (const p of await tx.list<Permission>("permission")) {
      if (p.data.featureKey === doc.key) users.push({ kind: "permission", id: p.id });
    }
    for (const r of await tx.list<RouteRule>("route"))
      if (r.data.featureKey === doc.key) users.push({ kind: "route", id: r.id });
    for (const g of await tx.list<Grant>("grant"))
      if (g.data.featureKey === doc.key) users.push({ kind: "grant", id: g.id });
    refuseIfUsed("feature", doc.key, users);
  },
};
