import { describe, expect, it } from "vitest";
import { chance, pick, prng } from "../../test/random";
import { evaluate } from "./evaluate";
import { lookupEntitlements } from "./lookup";
import { Snapshot } from "./snapshot";
import type { EnvironmentState, FeatureValue, Grant } from "./types";

const NOW = Date.parse("2027-01-01T00:00:00Z");
const FEATURES = ["sso", "seats", "theme"] as const;

/**
 * Two tenants on one plan: "solo", whose one user "bob" holds the grants, and "team", which holds the same
 * grants tenant-wide. A user's grants override the tenant's, but among themselves they must combine as a
 * tenant's do: README, "the one that started last wins" for a config value; any on for on/off; the
 * greatest limit, none meaning unlimited.
 */
function compile(grants: Omit<Grant, "tenantId" | "userId">[]): Snapshot {
  const state: EnvironmentState = {
    revision: 1,
    features: [
      { key: "sso", name: "SSO", type: "boolean" },
      { key: "seats", name: "Seats", type: "limit" },
      { key: "theme", name: "Theme", type: "config" },
    ],
    permissions: [],
    roles: [],
    plans: [{ key: "team", name: "Team", kind: "base", features: { sso: false, seats: 5, theme: "plain" } }],
    flags: [],
    routes: [],
    tenants: [{ id: "solo" }, { id: "team" }],
    users: [{ id: "bob" }],
    memberships: [{ tenantId: "solo", userId: "bob", roles: [] }],
    subscriptions: ["solo", "team"].map((tenantId) => ({
      id: `sub_${tenantId}`,
      tenantId,
      planKey: "team",
      status: "active" as const,
      startAt: "2026-01-01T00:00:00Z",
    })),
    grants: grants.flatMap((g) => [
      { ...g, id: `${g.id}_user`, tenantId: "solo", userId: "bob" },
      { ...g, id: `${g.id}_tenant`, tenantId: "team" },
    ]),
  };
  return Snapshot.compile(state);
}

/** The user's answer and the tenant's, with the grant ids made comparable. */
function both(snapshot: Snapshot, feature: string) {
  const strip = (d: ReturnType<typeof evaluate>) => ({
    entitled: d.entitled,
    reason: d.reason,
    value: d.value,
    source: d.source && { ...d.source, key: d.source.key.replace(/_(user|tenant)$/, "") },
  });
  const user = evaluate(snapshot, { subject: { tenantId: "solo", userId: "bob" }, feature, at: NOW });
  const tenant = evaluate(snapshot, { subject: { tenantId: "team" }, feature, at: NOW });
  const listed = lookupEntitlements(snapshot, { tenantId: "solo", userId: "bob" }, NOW).features.find(
    (f) => f.key === feature,
  );
  expect(listed?.source).toEqual(user.source);
  return { user: strip(user), tenant: strip(tenant) };
}

describe("a user's own grants of one feature", () => {
  it("give the config value of the one that started last, as a tenant's do", () => {
    const snapshot = compile([
      { id: "old", featureKey: "theme", value: "old", startAt: "2020-01-01T00:00:00Z" },
      { id: "new", featureKey: "theme", value: "new", startAt: "2024-01-01T00:00:00Z" },
    ]);
    const { user, tenant } = both(snapshot, "theme");
    // Before, the user's answer was the first grant's: "old".
    expect(user).toMatchObject({ entitled: true, value: "new", source: { type: "grant", key: "new" } });
    expect(user).toEqual(tenant);
  });

  it("turn an on/off feature on if any of them does", () => {
    const snapshot = compile([
      { id: "off", featureKey: "sso", value: false, startAt: "2020-01-01T00:00:00Z" },
      { id: "on", featureKey: "sso", value: true, startAt: "2024-01-01T00:00:00Z" },
    ]);
    const { user, tenant } = both(snapshot, "sso");
    // Before, the first grant (off) was the user's answer: FEATURE_NOT_IN_PLAN.
    expect(user).toMatchObject({ entitled: true, reason: "ENTITLED", source: { key: "on" } });
    expect(user).toEqual(tenant);
  });

  it("answer as the tenant's same grants do, over random sets of grants", () => {
    const rng = prng(20261207);
    const times = ["2020-01-01T00:00:00Z", "2022-06-01T00:00:00Z", "2024-01-01T00:00:00Z"];
    const values: Record<(typeof FEATURES)[number], (FeatureValue | undefined)[]> = {
      sso: [true, false, undefined],
      seats: [1, 5, 50, 50, null, undefined],
      theme: ["red", "blue", { dark: true }, null, undefined],
    };
    for (let round = 0; round < 300; round++) {
      const feature = pick(rng, FEATURES);
      const grants: Omit<Grant, "tenantId" | "userId">[] = [];
      const count = 1 + Math.floor(rng() * 4);
      for (let k = 0; k < count; k++) {
        const value = pick(rng, values[feature]);
        const grant: Omit<Grant, "tenantId" | "userId"> = {
          id: `g${Math.floor(rng() * 100)}_${k}`,
          featureKey: feature,
        };
        if (value !== undefined) grant.value = value;
        if (chance(rng, 0.8)) grant.startAt = pick(rng, times);
        // Some have ended by NOW, some end after it.
        if (chance(rng, 0.2))
          grant.expiresAt = chance(rng, 0.5) ? "2025-01-01T00:00:00Z" : "2028-01-01T00:00:00Z";
        grants.push(grant);
      }
      const { user, tenant } = both(compile(grants), feature);
      expect(user, `round ${round}: ${JSON.stringify(grants)}`).toEqual(tenant);
    }
  });
});
