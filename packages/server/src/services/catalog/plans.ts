import type { Feature, FeatureValue, Plan, Subscription } from "@tessera/sdk/core";
import { type FieldError, TesseraError } from "../../errors";
import type { PlanInput } from "../../schemas/catalog";
import type { WriteTransaction } from "../../storage/store";
import { checkApiAccess } from "./apis";
import { compact, type KindDefinition, mergePatch, refuseIfUsed } from "./definition";

export const plans: KindDefinition<Plan, PlanInput, Partial<PlanInput>> = {
  kind: "plan",
  idField: "key",
  idOf: (p) => p.key,
  build: (input) =>
    compact({
      ...input,
      kind: input.kind ?? "base",
      features: input.features ?? {},
      archived: input.archived ?? false,
    }) as Plan,
  patch: (current, patch) => mergePatch(current, patch),
  async check(tx, doc, before) {
    await checkFeatureValues(tx, doc.features, "/features");
    for (const [i, access] of (doc.apiAccess ?? []).entries())
      await checkApiAccess(tx, access, `/apiAccess/${i}`);
    if (before && before.kind !== doc.kind) {
      const subscribers = await subscriptionsUsing(tx, doc.key);
      refuseIfUsed("plan", doc.key, subscribers);
    }
  },
  async beforeDelete(tx, doc) {
    refuseIfUsed("plan", doc.key, await subscriptionsUsing(tx, doc.key));
  },
};

async function subscriptionsUsing(tx: WriteTransaction, planKey: string) {
  const users = (await tx.findBy<Subscription>("subscription", "planKey", planKey)).map((s) => ({
    kind: "subscription",
    id: s.id,
  }));
  // Add-ons are not indexed; a plan that is an add-on is rarely deleted, so a scan is fine here.
  for (const s of await tx.list<Subscription>("subscription")) {
    if (s.data.addOns?.includes(planKey)) users.push({ kind: "subscription", id: s.id });
  }
  return users;
}

/** Every value must exist as a feature and fit its type: a typo or a string limit is refused, whole. */
export async function checkFeatureValues(
  tx: WriteTransaction,
  values: Record<string, FeatureValue>,
  pointer: string,
): Promise<void> {
  const missing: FieldError[] = [];
  const mismatched: FieldError[] = [];
  for (const [key, value] of Object.entries(values)) {
    const feature = (await tx.get<Feature>("feature", key))?.data;
    const at = `${pointer}/${key}`;
    if (!feature) {
      missing.push({ pointer: at, message: `No feature "${key}" exists.`, code: "REFERENCE_NOT_FOUND" });
      continue;
    }
    const problem = valueProblem(feature, value);
    if (problem) mismatched.push({ pointer: at, message: problem, code: "TYPE_MISMATCH" });
  }
  if (missing.length > 0)
    throw new TesseraError("REFERENCE_NOT_FOUND", missing.map((e) => e.message).join(" "), missing);
  if (mismatched.length > 0) {
    throw new TesseraError("TYPE_MISMATCH", mismatched.map((e) => e.message).join(" "), mismatched);
  }
}

export function valueProblem(feature: Feature, value: FeatureValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (feature.type === "boolean" && typeof value !== "boolean") {
    return `Feature "${feature.key}" is boolean: its value is true or false.`;
  }
  if (
    feature.type === "limit" &&
    value !== null &&
    (typeof value !== "number" || value < 0 || !Number.isFinite(value))
  ) {
    return `Feature "${feature.key}" is a limit: its value is a number ≥ 0, or null for unlimited.`;
  }
  return undefined;
}
