import type { Feature, Flag } from "@tessera/sdk/core";
import type { FlagInput } from "../../schemas/catalog";
import { compact, type KindDefinition, mergePatch, refuseIfUsed } from "./definition";

export const flags: KindDefinition<Flag, FlagInput, Partial<FlagInput>> = {
  kind: "flag",
  idField: "key",
  idOf: (f) => f.key,
  build: (input) =>
    compact({ ...input, enabled: input.enabled ?? true, default: input.default ?? false }) as Flag,
  patch: (current, patch) => mergePatch(current, patch),
  async check() {},
  async beforeDelete(tx, doc) {
    const users = (await tx.list<Feature>("feature"))
      .filter((f) => f.data.flagKey === doc.key)
      .map((f) => ({ kind: "feature", id: f.id }));
    refuseIfUsed("flag", doc.key, users);
  },
};
