import { describe, expect, it } from "vitest";
import { evaluate } from "./evaluate";
import { lookupEntitlements } from "./lookup";
import { Snapshot } from "./snapshot";
import type { EnvironmentState, Grant, Plan, Subscription } from "./types";

const NOW = Date.parse("2027-01-01T00:00:00Z");

const plan = (key: string, kind: Plan["kind"], features: Plan["features"]): Plan => ({
  key,
  name: key,
  kind,
  features,
});

function subscription(id: string, planKey: string, addOns: string[] = []): Subscription {
  return { id, tenantId: "acme", planKey, addOns, status: "active", startAt: "2026-01-01T00:00:00Z" };
}

function compile(subscriptions: Subscription[], grants: Grant[] = []): Snapshot {
  const state: EnvironmentState = {
    revision: 1,
    features: [
      { key: "sso", name: "SSO", type: "boolean" },
      { key: "seats", name: "Seats", type: "limit" },
      { key: "theme", name: "Theme", type: "config" },
      { key: "storage", name: "Storage (TB)", type: "limit" },
    ],
    permissions: [],
    roles: [],
    plans: [
      plan("free", "base", { sso: false, seats: 0, theme: { color: "grey" } }),
      plan("team", "base", { sso: true, seats: 10, theme: { color: "blue" } }),
      plan("business", "base", { sso: true, seats: 20 }),
      plan("red", "addon", { theme: { color: "red" } }),
      plan("more-seats", "addon", { seats: 5 }),
      plan("unlimited-seats", "addon", { seats: null }),
      plan("disk", "base", { storage: 0.7 }),
      plan("more-disk", "addon", { storage: 0.1 }),
      plan("vast", "base", { storage: 1e308 }),
      plan("vaster", "addon", { storage: 1e308 }),
    ],
    flags: [],
    routes: [],
    tenants: [{ id: "acme" }],
    users: [],
    memberships: [],
    subscriptions,
    grants,
  };
  return Snapshot.compile(state);
}

function answer(snapshot: Snapshot, feature: string) {
  const d = evaluate(snapshot, { subject: { tenantId: "acme" }, feature, at: NOW });
  const listed = lookupEntitlements(snapshot, { tenantId: "acme" }, NOW).features.find(
    (f) => f.key === feature,
  );
  // The lookup is the same decision, so it must name the same source.
  expect(listed?.source).toEqual(d.source);
  return { value: d.value, source: d.source };
}

describe("a decision's source is what supplied its value", () => {
  it("an add-on's config value overrides the base plan's, and is the source", () => {
    const snapshot = compile([subscription("s1", "free", ["red"])]);
    expect(answer(snapshot, "theme")).toEqual({
      value: { color: "red" },
      source: { type: "addon", key: "red" },
    });
  });

  it("of two base plans, the one with the higher limit; the first when they are equal", () => {
    expect(answer(compile([subscription("s1", "team"), subscription("s2", "business")]), "seats")).toEqual({
      value: 20,
      source: { type: "plan", key: "business" },
    });
    expect(answer(compile([subscription("s1", "business"), subscription("s2", "team")]), "seats")).toEqual({
      value: 20,
      source: { type: "plan", key: "business" },
    });
    expect(answer(compile([subscription("s1", "team"), subscription("s2", "business")]), "sso")).toEqual({
      value: undefined,
      source: { type: "plan", key: "team" },
    });
  });

  it("a limit that adds up stays with its plan; an unlimited add-on or the first plan granting takes it", () => {
    expect(answer(compile([subscription("s1", "team", ["more-seats"])]), "seats")).toEqual({
      value: 15,
      source: { type: "plan", key: "team" },
    });
    expect(answer(compile([subscription("s1", "free", ["more-seats"])]), "seats")).toEqual({
      value: 5,
      source: { type: "addon", key: "more-seats" },
    });
    expect(answer(compile([subscription("s1", "team", ["unlimited-seats"])]), "seats")).toEqual({
      value: null,
      source: { type: "addon", key: "unlimited-seats" },
    });
  });

  it("of two grants, the one whose value is answered", () => {
    const snapshot = compile(
      [subscription("s1", "free")],
      [
        { id: "ga", tenantId: "acme", featureKey: "seats", value: 50 },
        { id: "gb", tenantId: "acme", featureKey: "seats", value: 70 },
        { id: "gc", tenantId: "acme", featureKey: "seats", value: 60 },
        { id: "gd", tenantId: "acme", featureKey: "theme", value: { color: "green" } },
        { id: "ge", tenantId: "acme", featureKey: "theme", value: { color: "gold" } },
      ],
    );
    expect(answer(snapshot, "seats")).toEqual({ value: 70, source: { type: "grant", key: "gb" } });
    expect(answer(snapshot, "theme")).toEqual({
      value: { color: "gold" },
      source: { type: "grant", key: "ge" },
    });
  });
});

describe("remediation names the plans that would allow what was asked", () => {
  const remedy = (snapshot: Snapshot, feature: string, requestedUsage?: number) =>
    evaluate(snapshot, { subject: { tenantId: "acme" }, feature, requestedUsage, at: NOW }).remediation;

  // Plans come by key, as the catalog lists them, whatever order they were written in.
  it("without a subscription, base plans only: an add-on needs a base plan to stack on", () => {
    const none = compile([]);
    expect(remedy(none, "seats")).toEqual({ plans: ["business", "team"] });
    expect(remedy(none, "seats", 15)).toEqual({ plans: ["business"] });
    expect(remedy(none, "theme")).toEqual({ plans: ["free", "team"] });
  });

  it("a limit too low: the plans whose limit, or whose addition to the current one, allows the amount", () => {
    const free = compile([subscription("s1", "free")]);
    // Free gives 0 seats: an add-on of 5 allows 5, not 15; unlimited allows anything.
    expect(remedy(free, "seats")).toEqual({
      plans: ["business", "more-seats", "team", "unlimited-seats"],
    });
    expect(remedy(free, "seats", 15)).toEqual({ plans: ["business", "unlimited-seats"] });
    const team = compile([subscription("s1", "team")]);
    const exceeded = evaluate(team, {
      subject: { tenantId: "acme" },
      feature: "seats",
      requestedUsage: 14,
      at: NOW,
    });
    expect(exceeded).toMatchObject({ reason: "USAGE_LIMIT_EXCEEDED", limit: 10 });
    // 10 + 5 is enough; the plan the tenant holds is not named.
    expect(exceeded.remediation).toEqual({ plans: ["business", "more-seats", "unlimited-seats"] });
    expect(remedy(team, "seats", 1_000)).toEqual({ plans: ["unlimited-seats"] });
    expect(
      remedy(compile([subscription("s1", "team", ["unlimited-seats"])]), "seats", 1_000),
    ).toBeUndefined();
  });

  it("no plan, where a grant overrides the plans with a lower value or none", () => {
    const lower = compile(
      [subscription("s1", "team")],
      [{ id: "g", tenantId: "acme", featureKey: "seats", value: 5 }],
    );
    const exceeded = evaluate(lower, {
      subject: { tenantId: "acme" },
      feature: "seats",
      requestedUsage: 8,
      at: NOW,
    });
    expect(exceeded).toMatchObject({ reason: "USAGE_LIMIT_EXCEEDED", limit: 5, remediation: undefined });
    const none = compile(
      [subscription("s1", "team")],
      [{ id: "g", tenantId: "acme", featureKey: "seats", value: 0 }],
    );
    expect(evaluate(none, { subject: { tenantId: "acme" }, feature: "seats", at: NOW })).toMatchObject({
      reason: "FEATURE_NOT_IN_PLAN",
      remediation: undefined,
    });
  });
});

describe("limits that add up", () => {
  it("add as decimals: 0.7 and an add-on's 0.1 allow exactly 0.8", () => {
    // In binary floating point the sum was 0.7999999999999999, and 0.8 was refused.
    const snapshot = compile([subscription("s1", "disk", ["more-disk"])]);
    const d = evaluate(snapshot, {
      subject: { tenantId: "acme" },
      feature: "storage",
      requestedUsage: 0.8,
      at: NOW,
    });
    expect(d).toMatchObject({ entitled: true, limit: 0.8 });
    const over = evaluate(compile([subscription("s1", "disk")]), {
      subject: { tenantId: "acme" },
      feature: "storage",
      requestedUsage: 0.8,
      at: NOW,
    });
    // The vast plans (below) allow it too.
    expect(over.remediation).toEqual({ plans: ["more-disk", "vast", "vaster"] });
  });

  it("past the largest number a limit holds, are unlimited", () => {
    // Before, 1e308 and an add-on's 1e308 made Infinity: the decision could not be written as JSON (a 500),
    // while the lookup wrote it as null.
    const snapshot = compile([subscription("s1", "vast", ["vaster"])]);
    const d = evaluate(snapshot, { subject: { tenantId: "acme" }, feature: "storage", at: NOW });
    expect(d).toMatchObject({ entitled: true, value: null, limit: null });
    const listed = lookupEntitlements(snapshot, { tenantId: "acme" }, NOW).features.find(
      (f) => f.key === "storage",
    );
    expect(listed?.value).toBeNull();
  });
});

describe("one state, one answer", () => {
  it("however a server came by the tenant's grants and subscriptions: loaded, or applied in any order", () => {
    // Before, a server that followed the writes and one that loaded the same state answered with different
    // grants' config values.
    const grants: Grant[] = [
      { id: "gz", tenantId: "acme", featureKey: "theme", value: { color: "blue" } },
      { id: "ga", tenantId: "acme", featureKey: "theme", value: { color: "red" } },
    ];
    const subscriptions = [subscription("s2", "team"), subscription("s1", "business")];
    const answers = [compile(subscriptions, grants), compile(subscriptions, [...grants].reverse())];
    for (const order of [grants, [...grants].reverse()]) {
      const applied = compile([]);
      let revision = 2;
      for (const s of [...subscriptions].reverse())
        applied.apply([{ kind: "subscription", after: s }], revision++);
      for (const g of order) applied.apply([{ kind: "grant", after: g }], revision++);
      answers.push(applied);
    }
    const theme = answers.map((snapshot) => answer(snapshot, "theme"));
    const seats = answers.map((snapshot) => answer(snapshot, "seats"));
    for (const a of theme) expect(a).toEqual(theme[0]);
    for (const a of seats) expect(a).toEqual(seats[0]);
    expect(theme[0]).toEqual({ value: { color: "blue" }, source: { type: "grant", key: "gz" } });
  });
});
