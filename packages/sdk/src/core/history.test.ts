import { afterEach, describe, expect, it, vi } from "vitest";
import { chance, pick, prng, type Rng } from "../../test/random";
import type { CheckRequest, Decision } from "./decision";
import { evaluate } from "./evaluate";
import { lookupEntitlements } from "./lookup";
import { type Change, type ResourceKind, Snapshot } from "./snapshot";
import type {
  ApiAccess,
  EnvironmentState,
  Flag,
  Grant,
  Membership,
  Plan,
  Role,
  Subscription,
  SubscriptionStatus,
  Tenant,
} from "./types";

/**
 * A decision depends on the state and the time asked about, never on what was asked before or on how the
 * snapshot came by its state. The evaluator memoises per tenant (effective.ts, tenant-index.ts) and applies
 * writes incrementally (snapshot.ts), and either could leak one question's answer into another's. So: one
 * long-lived snapshot takes random writes and answers random questions at random times, some about "now" as
 * a moving clock, and every answer must equal that of a snapshot compiled afresh from the same state.
 */

const T0 = Date.parse("2026-06-01T00:00:00Z");
const HOUR = 3_600_000;

/** A time near T0, on a coarse grid so that several records share boundaries. */
const near = (rng: Rng) => T0 + (Math.floor(rng() * 13) - 6) * 12 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

const FEATURES = ["sso", "seats", "theme", "export", "beta"] as const;
const PERMISSIONS = ["doc.read", "doc.write", "doc.export", "admin"] as const;
const BASE_PLANS = ["free", "pro", "enterprise"] as const;
const ADDONS = ["extra-seats", "exporter"] as const;
const TENANTS = ["t1", "t2", "t3", "t4", "t5"] as const;
const USERS = ["u1", "u2", "u3", "u4", "u5", "u6"] as const;
const ROLES = ["viewer", "editor", "owner"] as const;
// Weighted towards the statuses that grant, so that most questions reach the plans.
const STATUSES: SubscriptionStatus[] = [
  ...Array<SubscriptionStatus>(5).fill("active"),
  "trialing",
  "trialing",
  "past_due",
  "canceled",
  "expired",
];

function featureValue(rng: Rng, key: string): boolean | number | null | Record<string, string> {
  if (key === "seats") return chance(rng, 0.15) ? null : pick(rng, [0, 3, 10, 50]);
  if (key === "theme") return { color: pick(rng, ["red", "blue"]) };
  return chance(rng, 0.7);
}

function randomPlan(rng: Rng, key: string, kind: "base" | "addon"): Plan {
  const features: Record<string, boolean | number | null | Record<string, string>> = {};
  for (const f of FEATURES) if (chance(rng, 0.6)) features[f] = featureValue(rng, f);
  return {
    key,
    name: key,
    kind,
    features,
    trialDays: kind === "base" && chance(rng, 0.3) ? 14 : null,
    apiAccess: chance(rng, 0.5) ? [randomApiAccess(rng)] : [],
  };
}

const API = "pay@1";
const API_SCOPES = ["pay.read", "pay.write", "pay.admin"] as const;
function randomApiAccess(rng: Rng): ApiAccess {
  const x = rng();
  if (x < 0.2) return { api: API, all: true };
  if (x < 0.4) return { api: API, roles: [pick(rng, ROLES)] };
  // Now and then a scope the API does not declare, which grants nothing.
  return { api: API, scopes: [...API_SCOPES, "pay.unknown"].filter(() => chance(rng, 0.4)) };
}

function randomRole(rng: Rng, key: string, index: number): Role {
  return {
    key,
    permissions: PERMISSIONS.filter(() => chance(rng, 0.4)),
    // Only earlier roles, so includes never form a cycle.
    includes: ROLES.slice(0, index).filter(() => chance(rng, 0.4)),
    scopes: API_SCOPES.filter(() => chance(rng, 0.4)),
  };
}

function randomFlag(rng: Rng): Flag {
  const rules = [];
  for (let i = Math.floor(rng() * 3); i > 0; i--) {
    const attribute = pick(rng, ["tenant.plan", "tenant.tier", "user.id", "tenant.id", "region"]);
    const values =
      attribute === "tenant.plan"
        ? [pick(rng, [...BASE_PLANS, ...ADDONS])]
        : attribute === "tenant.tier"
          ? [pick(rng, ["gold", "silver", 7, "10"])]
          : attribute === "user.id"
            ? [pick(rng, USERS)]
            : attribute === "tenant.id"
              ? [pick(rng, TENANTS)]
              : ["eu"];
    rules.push({
      conditions: [{ attribute, operator: pick(rng, ["eq", "neq", "in", "gte"] as const), values }],
      rollout: pick(rng, [100, 50, 0]),
      serve: chance(rng, 0.8),
    });
  }
  return {
    key: "beta-gate",
    enabled: chance(rng, 0.8),
    rules,
    rollout: chance(rng, 0.5) ? pick(rng, [0, 30, 100]) : null,
    default: chance(rng, 0.5),
    bucketBy: pick(rng, ["tenant", "user", null] as const),
  };
}

let ids = 0;
function randomSubscription(rng: Rng, tenantId: string): Subscription {
  const startAt = near(rng);
  const endAt = chance(rng, 0.4) ? startAt + Math.floor(1 + rng() * 8) * 12 * HOUR : null;
  const status = pick(rng, STATUSES);
  return {
    id: `sub_${++ids}`,
    tenantId,
    planKey: pick(rng, BASE_PLANS),
    addOns: ADDONS.filter(() => chance(rng, 0.3)),
    status,
    startAt: iso(startAt),
    endAt: endAt === null ? null : iso(endAt),
    trialEndAt: status === "trialing" || chance(rng, 0.2) ? iso(near(rng)) : null,
  };
}

function randomGrant(rng: Rng, tenantId: string, users: readonly string[]): Grant {
  const x = rng();
  const feature = x < 0.5;
  const featureKey = pick(rng, FEATURES);
  const startAt = chance(rng, 0.3) ? near(rng) : undefined;
  const expiresAt = chance(rng, 0.6) ? near(rng) + 12 * HOUR : undefined;
  return {
    id: `grant_${++ids}`,
    tenantId,
    userId: users.length > 0 && chance(rng, 0.4) ? pick(rng, users) : null,
    ...(feature
      ? { featureKey, value: featureValue(rng, featureKey) }
      : x < 0.8
        ? { permissionKey: pick(rng, PERMISSIONS) }
        : { apiAccess: randomApiAccess(rng) }),
    startAt: startAt === undefined ? null : iso(startAt),
    expiresAt: expiresAt === undefined ? null : iso(expiresAt),
  };
}

function randomState(rng: Rng): EnvironmentState {
  const memberships: Membership[] = [];
  for (const tenantId of TENANTS) {
    for (const userId of USERS) {
      if (chance(rng, 0.4))
        memberships.push({ tenantId, userId, roles: ROLES.filter(() => chance(rng, 0.4)) });
    }
  }
  const membersOf = (t: string) => memberships.filter((m) => m.tenantId === t).map((m) => m.userId);
  return {
    revision: 1,
    features: FEATURES.map((key) => ({
      key,
      name: key,
      type: key === "seats" ? "limit" : key === "theme" ? "config" : "boolean",
      flagKey: key === "beta" || (key === "export" && chance(rng, 0.5)) ? "beta-gate" : null,
      archived: key !== "beta" && chance(rng, 0.05),
    })),
    permissions: PERMISSIONS.map((key) => ({
      key,
      featureKey: key === "doc.export" ? "export" : key === "admin" && chance(rng, 0.5) ? "sso" : null,
    })),
    roles: ROLES.map((key, i) => randomRole(rng, key, i)),
    plans: [
      ...BASE_PLANS.map((key) => randomPlan(rng, key, "base")),
      ...ADDONS.map((key) => randomPlan(rng, key, "addon")),
    ],
    flags: [randomFlag(rng)],
    routes: [
      { id: "r1", method: "GET", path: "/docs/{id}", permissionKey: "doc.read" },
      { id: "r2", method: "POST", path: "/export", featureKey: "export", permissionKey: "doc.export" },
      { id: "r3", method: "GET", path: "/seats", featureKey: "seats" },
      { id: "r4", method: "GET", path: "/health", public: true },
    ],
    apis: [
      {
        key: API,
        name: "pay",
        majorVersion: 1,
        basePath: "/pay",
        scopes: API_SCOPES.map((name) => ({ name })),
        operations: [
          { name: "listPayments", method: "GET", path: "/payments", alternatives: [["pay.read"]] },
          {
            name: "createPayment",
            method: "POST",
            path: "/payments",
            alternatives: [["pay.write"], ["pay.admin"]],
          },
          { name: "status", method: "GET", path: "/status", alternatives: [] },
        ],
      },
    ],
    tenants: TENANTS.map(
      (id): Tenant => ({
        id,
        attributes: chance(rng, 0.6) ? { tier: pick(rng, ["gold", "silver", 7, "10"]) } : {},
      }),
    ),
    users: USERS.map((id) => ({ id })),
    memberships,
    subscriptions: TENANTS.flatMap((t) =>
      Array.from({ length: Math.floor(rng() * 3) + (chance(rng, 0.8) ? 1 : 0) }, () =>
        randomSubscription(rng, t),
      ),
    ),
    grants: TENANTS.flatMap((t) =>
      Array.from({ length: Math.floor(rng() * 3) }, () => randomGrant(rng, t, membersOf(t))),
    ),
  };
}

type ListKey =
  | "features"
  | "plans"
  | "flags"
  | "roles"
  | "tenants"
  | "memberships"
  | "subscriptions"
  | "grants";
const KIND_OF: Record<ListKey, ResourceKind> = {
  features: "feature",
  plans: "plan",
  flags: "flag",
  roles: "role",
  tenants: "tenant",
  memberships: "membership",
  subscriptions: "subscription",
  grants: "grant",
};

/** One random write: the change record it makes, applied to `state` in place. */
function randomWrite(rng: Rng, state: EnvironmentState): Change {
  const replace = <K extends ListKey>(list: K, index: number, after: EnvironmentState[K][number]): Change => {
    const items = state[list] as EnvironmentState[K][number][];
    const before = items[index];
    items[index] = after;
    return { kind: KIND_OF[list], before, after };
  };
  const x = rng();
  if (x < 0.2) {
    const i = Math.floor(rng() * state.subscriptions.length);
    const existing = state.subscriptions[i];
    if (existing === undefined || chance(rng, 0.3)) {
      const after = randomSubscription(rng, pick(rng, TENANTS));
      state.subscriptions.push(after);
      return { kind: "subscription", after };
    }
    if (chance(rng, 0.2)) {
      state.subscriptions.splice(i, 1);
      return { kind: "subscription", before: existing };
    }
    const fresh = randomSubscription(rng, existing.tenantId);
    return replace("subscriptions", i, { ...fresh, id: existing.id });
  }
  if (x < 0.4) {
    const i = Math.floor(rng() * state.grants.length);
    const existing = state.grants[i];
    if (existing === undefined || chance(rng, 0.5)) {
      const tenantId = pick(rng, TENANTS);
      const members = state.memberships.filter((m) => m.tenantId === tenantId).map((m) => m.userId);
      const after = randomGrant(rng, tenantId, members);
      state.grants.push(after);
      return { kind: "grant", after };
    }
    state.grants.splice(i, 1);
    return { kind: "grant", before: existing };
  }
  if (x < 0.5) {
    const i = Math.floor(rng() * state.plans.length);
    const plan = state.plans[i]!;
    return replace("plans", i, randomPlan(rng, plan.key, plan.kind));
  }
  if (x < 0.58) {
    const i = Math.floor(rng() * state.features.length);
    const feature = state.features[i]!;
    // Archived for a while, then back: archiving more often than not would leave few features to ask about.
    return replace("features", i, {
      ...feature,
      archived: feature.key !== "beta" && !feature.archived && chance(rng, 0.4),
    });
  }
  if (x < 0.68) return replace("flags", 0, randomFlag(rng));
  if (x < 0.76) {
    const i = Math.floor(rng() * state.roles.length);
    return replace("roles", i, randomRole(rng, state.roles[i]!.key, i));
  }
  if (x < 0.9) {
    const i = Math.floor(rng() * state.memberships.length);
    const existing = state.memberships[i];
    if (existing === undefined) return randomWrite(rng, state);
    const stillGranted = state.grants.some(
      (g) => g.tenantId === existing.tenantId && g.userId === existing.userId,
    );
    if (!stillGranted && chance(rng, 0.3)) {
      state.memberships.splice(i, 1);
      return { kind: "membership", before: existing };
    }
    return replace("memberships", i, { ...existing, roles: ROLES.filter(() => chance(rng, 0.4)) });
  }
  const i = Math.floor(rng() * state.tenants.length);
  const tenant: Tenant = state.tenants[i]!;
  return replace("tenants", i, {
    ...tenant,
    attributes: { tier: pick(rng, ["gold", "silver", 7, "10"]) },
  });
}

function randomQuestion(rng: Rng, state: EnvironmentState): Omit<CheckRequest, "at"> {
  const tenantId = chance(rng, 0.05) ? "t-missing" : pick(rng, TENANTS);
  const members = state.memberships.filter((m) => m.tenantId === tenantId).map((m) => m.userId);
  const userId = members.length > 0 && chance(rng, 0.85) ? pick(rng, members) : pick(rng, USERS);
  const attributes = chance(rng, 0.2) ? { region: "eu" } : undefined;
  const x = rng();
  if (x < 0.45) {
    const subject = chance(rng, 0.5) ? { tenantId, userId, attributes } : { tenantId, attributes };
    const feature = chance(rng, 0.03) ? "nope" : pick(rng, FEATURES);
    return feature === "seats" && chance(rng, 0.5)
      ? { subject, feature, requestedUsage: pick(rng, [1, 5, 20, 60]) }
      : { subject, feature };
  }
  if (x < 0.8) return { subject: { tenantId, userId, attributes }, permission: pick(rng, PERMISSIONS) };
  const route = pick(rng, [
    { method: "GET", path: "/docs/7" },
    { method: "POST", path: "/export" },
    { method: "GET", path: "/seats" },
    { method: "HEAD", path: "/health" },
    { method: "GET", path: "/nowhere" },
    { method: "GET", path: "/pay/payments" },
    { method: "POST", path: "/pay/payments" },
    { method: "GET", path: "/pay/status" },
  ]);
  const scopes = chance(rng, 0.5) ? API_SCOPES.filter(() => chance(rng, 0.5)) : undefined;
  return { subject: chance(rng, 0.5) ? { tenantId, userId } : { tenantId }, route, scopes };
}

/** What must not depend on history: everything but the decision's id. */
function answer(decision: Decision): Omit<Decision, "decisionId"> {
  const { decisionId: _, ...rest } = decision;
  return rest;
}

describe("decisions do not depend on history", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  for (let seed = 1; seed <= 40; seed++) {
    it(`seed ${seed}: a long-lived snapshot answers as a fresh one`, () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      const rng = prng(seed * 7919);
      const state = randomState(rng);
      let revision = state.revision;
      const live = Snapshot.compile(structuredClone(state));
      // The clock moves forward only, in steps that cross the data's boundaries; questions with their own
      // time range over the whole span, before and after the clock.
      let now = T0 - 4 * 24 * HOUR;
      vi.setSystemTime(now);
      for (let step = 0; step < 300; step++) {
        const x = rng();
        if (x < 0.15) {
          const change = randomWrite(rng, state);
          live.apply([structuredClone(change)], ++revision);
          state.revision = revision;
          continue;
        }
        if (x < 0.25) {
          now += Math.floor(rng() * 30) * HOUR;
          vi.setSystemTime(now);
        }
        const fresh = Snapshot.compile(structuredClone(state));
        const question = randomQuestion(rng, state);
        const asked: CheckRequest = chance(rng, 0.5)
          ? question
          : { ...question, at: chance(rng, 0.5) ? near(rng) : now };
        const context = `seed ${seed} step ${step}: ${JSON.stringify(asked)}`;
        expect(answer(evaluate(live, asked)), context).toEqual(answer(evaluate(fresh, asked)));
        if (chance(rng, 0.1)) {
          const { tenantId } = question.subject;
          expect(live.entitledScopes(tenantId, API, asked.at), `scopes ${context}`).toEqual(
            fresh.entitledScopes(tenantId, API, asked.at),
          );
        }
        if (chance(rng, 0.1)) {
          const subject = question.subject;
          expect(lookupEntitlements(live, subject, asked.at), `lookup ${context}`).toEqual(
            lookupEntitlements(fresh, subject, asked.at),
          );
        }
      }
    });
  }
});

/**
 * A lookup's validUntil is when its answer may next change by itself: a UI may keep the answer until then.
 * Early is allowed (the answer is then asked again and comes back the same); late is not. So at every
 * boundary the data has (each start, end, trial end and expiry, and the instant before it) that falls
 * before validUntil, the lookup must be the same.
 */
describe("a lookup holds until its validUntil", () => {
  for (let seed = 1; seed <= 40; seed++) {
    it(`seed ${seed}`, () => {
      const rng = prng(seed * 104_729);
      const state = randomState(rng);
      const snapshot = Snapshot.compile(state);
      const boundaries = new Set<number>();
      for (const s of state.subscriptions) {
        for (const t of [s.startAt, s.endAt, s.trialEndAt]) if (t) boundaries.add(Date.parse(t));
      }
      for (const g of state.grants) {
        for (const t of [g.startAt, g.expiresAt]) if (t) boundaries.add(Date.parse(t));
      }
      const times = [...boundaries].flatMap((t) => [t - 1, t]).sort((a, b) => a - b);
      for (let q = 0; q < 30; q++) {
        const { subject } = randomQuestion(rng, state);
        const at = chance(rng, 0.5) ? pick(rng, times) : near(rng) + Math.floor(rng() * 12 * HOUR);
        const { validUntil, ...answer } = lookupEntitlements(snapshot, subject, at);
        const until = validUntil ?? Number.POSITIVE_INFINITY;
        for (const later of times) {
          if (later <= at || later >= until) continue;
          const { validUntil: _, ...then } = lookupEntitlements(snapshot, subject, later);
          expect(then, `${JSON.stringify(subject)} at ${iso(at)}, again at ${iso(later)}`).toEqual(answer);
        }
      }
    });
  }
});
