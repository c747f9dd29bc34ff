import { randomUUID } from "node:crypto";
import type { Plan, Subscription } from "@tessera/sdk/core";
import { TesseraError } from "../../errors";
import type { SubscriptionInput } from "../../schemas/catalog";
import { compact, invalid, type KindDefinition, mergePatch, requireReferences } from "./definition";

const DAY = 86_400_000;

export const subscriptions: KindDefinition<Subscription, SubscriptionInput, Partial<SubscriptionInput>> = {
  kind: "subscription",
  idField: "id",
  idOf: (s) => s.id,
  build: (input, now) =>
    compact({
      ...input,
      id: input.id ?? `sub_${randomUUID().replaceAll("-", "")}`,
      addOns: [...new Set(input.addOns ?? [])],
      status: input.status ?? "active",
      startAt: new Date(input.startAt ?? now).toISOString(),
    }) as Subscription,
  // As on create, an add-on named twice is one add-on: stacked twice, its limits would count twice.
  patch: (current, patch) => {
    const next = mergePatch(current, patch);
    // A trial's end is a moment, not a length: moved with the start, it would silently shorten or lengthen
    // the trial, and moved past it, end it before it began. Whether it came from the plan's trialDays or
    // from the caller is not recorded, so the caller says which end the moved trial has.
    if (
      next.status === "trialing" &&
      current.trialEndAt &&
      patch.startAt !== undefined &&
      !("trialEndAt" in patch) &&
      Date.parse(patch.startAt) !== Date.parse(current.startAt)
    ) {
      invalid(
        "/trialEndAt",
        "Moving the start of a trialing subscription does not move its trial's end: give trialEndAt too " +
          "(the new end, or null for the plan's trial length from the new start).",
      );
    }
    return next.addOns ? { ...next, addOns: [...new Set(next.addOns)] } : next;
  },
  async check(tx, doc, before) {
    if (before && before.tenantId !== doc.tenantId)
      invalid("/tenantId", "A subscription cannot move to another tenant.");
    await requireReferences(tx, [
      { kind: "tenant", id: doc.tenantId, pointer: "/tenantId" },
      { kind: "plan", id: doc.planKey, pointer: "/planKey" },
      ...(doc.addOns ?? []).map((key, i) => ({ kind: "plan" as const, id: key, pointer: `/addOns/${i}` })),
    ]);
    const plan = (await tx.get<Plan>("plan", doc.planKey))!.data;
    if (plan.kind !== "base")
      invalid("/planKey", `Plan "${plan.key}" is an add-on; a subscription needs a base plan.`);
    if (plan.archived && plan.key !== before?.planKey) {
      invalid("/planKey", `Plan "${plan.key}" is archived: new subscriptions cannot use it.`);
    }
    for (const [i, key] of (doc.addOns ?? []).entries()) {
      const addOn = (await tx.get<Plan>("plan", key))!.data;
      if (addOn.kind !== "addon") invalid(`/addOns/${i}`, `Plan "${key}" is not an add-on.`);
      if (addOn.archived && !before?.addOns?.includes(key))
        invalid(`/addOns/${i}`, `Add-on "${key}" is archived: subscriptions cannot take it on.`);
    }
    // A trial with no end of its own lasts the plan's trial length.
    if (doc.status === "trialing" && !doc.trialEndAt && plan.trialDays) {
      doc.trialEndAt = new Date(Date.parse(doc.startAt) + plan.trialDays * DAY).toISOString();
    }
    if (doc.endAt && Date.parse(doc.endAt) <= Date.parse(doc.startAt))
      invalid("/endAt", "endAt must come after startAt.");
    // A trial that ends by its start never grants anything. Checked on the writes that set the start, the
    // trial's end or the status, so that one stored before this check does not block an unrelated change.
    if (
      doc.trialEndAt &&
      Date.parse(doc.trialEndAt) <= Date.parse(doc.startAt) &&
      (!before ||
        before.startAt !== doc.startAt ||
        before.trialEndAt !== doc.trialEndAt ||
        before.status !== doc.status)
    )
      invalid("/trialEndAt", "trialEndAt must come after startAt.");
    if (doc.externalKey) {
      const taken = (await tx.findBy<Subscription>("subscription", "externalKey", doc.externalKey)).some(
        (s) => s.id !== doc.id,
      );
      if (taken) {
        throw new TesseraError(
          "DUPLICATE_KEY",
          `Another subscription has the external key "${doc.externalKey}".`,
          [{ pointer: "/externalKey", message: "already taken", code: "DUPLICATE_KEY" }],
        );
      }
    }
  },
};
