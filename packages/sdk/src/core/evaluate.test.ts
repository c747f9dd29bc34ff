import { describe, expect, it, vi } from "vitest";
import fixture from "../../test/fixtures/decisions.json";
import type { CheckRequest } from "./decision";
import { evaluate } from "./evaluate";
import { evaluateFlag } from "./flags";
import { inRollout } from "./hash";
import { type Change, Snapshot } from "./snapshot";
import { MAX_INLINE_MEMBERS, MISS } from "./tenant-index";
import type { EnvironmentState, Flag } from "./types";

type Case = (typeof fixture.cases)[number];

export function toRequest(check: Case["check"]): CheckRequest {
  return { ...(check as unknown as CheckRequest), at: check.at ? Date.parse(check.at) : undefined };
}

describe("evaluate, on the shared decision fixture", () => {
  const snapshot = Snapshot.compile(fixture.state as EnvironmentState);
  for (const c of fixture.cases) {
    it(c.name, () => {
      const decision = evaluate(snapshot, toRequest(c.check));
      expect(decision).toMatchObject(c.expect);
      if ("remediation" in c.expect) expect(decision.remediation).toEqual(c.expect.remediation);
      expect(decision.revision).toBe(1);
    });
  }

  it("reads the clock at most once a decision, and not at all when nothing in it depends on time", () => {
    const now = vi.spyOn(Date, "now");
    try {
      const reads: number[] = [];
      for (const c of fixture.cases) {
        now.mockClear();
        evaluate(snapshot, { ...toRequest(c.check), at: undefined });
        reads.push(now.mock.calls.length);
      }
      expect(Math.max(...reads)).toBe(1);
      expect(reads).toContain(0);
      // A permission a role gives is settled without the clock.
      now.mockClear();
      const byRole = evaluate(snapshot, {
        subject: { tenantId: "acme", userId: "anne" },
        permission: "invoices.read",
      });
      expect(byRole.source?.type).toBe("role");
      expect(now).not.toHaveBeenCalled();
    } finally {
      now.mockRestore();
    }
  });

  it("hands out the catalog's own frozen sources and remediations, never one of its own making", () => {
    const shared = new Set(["plan", "addon", "role", "route", "flag"]);
    let sources = 0;
    let remediations = 0;
    for (const c of fixture.cases) {
      const first = evaluate(snapshot, toRequest(c.check));
      const again = evaluate(snapshot, toRequest(c.check));
      if (first.source && shared.has(first.source.type)) {
        sources++;
        expect(Object.isFrozen(first.source), c.name).toBe(true);
        expect(again.source, c.name).toBe(first.source);
      }
      const { remediation } = first;
      // Except the plans that would allow a requested usage: they depend on the amount.
      const perAmount = c.check.requestedUsage !== undefined;
      if (remediation && (remediation.plans || remediation.roles) && !perAmount) {
        remediations++;
        expect(Object.isFrozen(remediation), c.name).toBe(true);
        for (const list of Object.values(remediation)) expect(Object.isFrozen(list), c.name).toBe(true);
        expect(again.remediation, c.name).toBe(remediation);
      }
    }
    expect(sources).toBeGreaterThan(5);
    expect(remediations).toBeGreaterThan(2);
  });

  it("answers the same after the state is rebuilt change by change", () => {
    const state = fixture.state as EnvironmentState;
    const empty: EnvironmentState = {
      revision: 0,
      features: [],
      permissions: [],
      roles: [],
      plans: [],
      flags: [],
      routes: [],
      tenants: [],
      users: [],
      memberships: [],
      subscriptions: [],
      grants: [],
    };
    const incremental = Snapshot.compile(empty);
    let revision = 0;
    const order = [
      "flags",
      "features",
      "permissions",
      "roles",
      "plans",
      "routes",
      "tenants",
      "users",
      "memberships",
      "subscriptions",
      "grants",
    ] as const;
    const kinds = {
      flags: "flag",
      features: "feature",
      permissions: "permission",
      roles: "role",
      plans: "plan",
      routes: "route",
      tenants: "tenant",
      users: "user",
      memberships: "membership",
      subscriptions: "subscription",
      grants: "grant",
    } as const;
    for (const list of order) {
      for (const item of state[list]) incremental.apply([{ kind: kinds[list], after: item }], ++revision);
    }
    for (const c of fixture.cases) {
      const { decisionId: _a, revision: _b, ...expected } = evaluate(snapshot, toRequest(c.check));
      const { decisionId: _c, revision: _d, ...actual } = evaluate(incremental, toRequest(c.check));
      expect(actual, c.name).toEqual(expected);
    }
  });
});

describe("snapshot updates", () => {
  const at = Date.parse("2026-08-01T00:00:00Z");
  const fresh = () => Snapshot.compile(structuredClone(fixture.state) as EnvironmentState);

  it("a plan upgrade changes the tenant's answer at once", () => {
    const snapshot = fresh();
    const request = { subject: { tenantId: "globex" }, feature: "sso", at };
    expect(evaluate(snapshot, request).reason).toBe("FEATURE_NOT_IN_PLAN");
    const before = fixture.state.subscriptions.find((s) => s.id === "sub-globex")!;
    snapshot.apply([{ kind: "subscription", before, after: { ...before, planKey: "pro" } }], 2);
    expect(evaluate(snapshot, request)).toMatchObject({
      entitled: true,
      revision: 2,
      source: { key: "pro" },
    });
  });

  it("changing a plan changes every tenant on it, including memoised ones", () => {
    const snapshot = fresh();
    const request = { subject: { tenantId: "acme" }, feature: "seats", at };
    expect(evaluate(snapshot, request).limit).toBe(30);
    const pro = fixture.state.plans.find((p) => p.key === "pro")!;
    snapshot.apply(
      [{ kind: "plan", before: pro, after: { ...pro, features: { ...pro.features, seats: 25 } } }],
      2,
    );
    expect(evaluate(snapshot, request).limit).toBe(35);
  });

  it("changing a role changes every member who holds it, after their role set has been answered for", () => {
    const snapshot = fresh();
    // After Bob's own grant of invoices.write has expired.
    const at = Date.parse("2026-10-01T00:00:00Z");
    const anne = { subject: { tenantId: "acme", userId: "anne" }, permission: "invoices.write", at };
    const bob = { subject: { tenantId: "acme", userId: "bob" }, permission: "invoices.write", at };
    expect(evaluate(snapshot, anne).source).toEqual({ type: "role", key: "admin" });
    expect(evaluate(snapshot, bob).reason).toBe("PERMISSION_MISSING");
    const viewer = fixture.state.roles.find((r) => r.key === "viewer")!;
    const admin = fixture.state.roles.find((r) => r.key === "admin")!;
    snapshot.apply(
      [
        {
          kind: "role",
          before: viewer,
          after: { ...viewer, permissions: ["invoices.read", "invoices.write"] },
        },
        { kind: "role", before: admin, after: { ...admin, permissions: ["audit.read"] } },
      ],
      2,
    );
    expect(evaluate(snapshot, bob).source).toEqual({ type: "role", key: "viewer" });
    // Anne's admin role now carries invoices.write only through viewer, which it includes.
    expect(evaluate(snapshot, anne)).toMatchObject({
      entitled: true,
      source: { type: "role", key: "admin" },
    });
    snapshot.apply([{ kind: "role", before: viewer, after: viewer }], 3);
    expect(evaluate(snapshot, bob).reason).toBe("PERMISSION_MISSING");
  });

  it("names the first of a member's roles that carries the permission", () => {
    const snapshot = fresh();
    const bob = fixture.state.memberships.find((m) => m.userId === "bob")!;
    const ask = () =>
      evaluate(snapshot, { subject: { tenantId: "acme", userId: "bob" }, permission: "invoices.read", at });
    snapshot.apply([{ kind: "membership", before: bob, after: { ...bob, roles: ["viewer", "admin"] } }], 2);
    expect(ask().source).toEqual({ type: "role", key: "viewer" });
    snapshot.apply([{ kind: "membership", before: bob, after: { ...bob, roles: ["admin", "viewer"] } }], 3);
    expect(ask().source).toEqual({ type: "role", key: "admin" });
  });

  it("deleting a tenant makes it unknown", () => {
    const snapshot = fresh();
    snapshot.apply([{ kind: "tenant", before: { id: "acme" } }], 2);
    expect(evaluate(snapshot, { subject: { tenantId: "acme" }, feature: "sso", at }).reason).toBe(
      "TENANT_NOT_FOUND",
    );
  });

  it("reads no clock about now once a tenant's open-ended entitlements are memoised, and only then", () => {
    const snapshot = fresh();
    const subscription = (tenantId: string, startAt: string, endAt?: string) => ({
      id: `sub-${tenantId}`,
      tenantId,
      planKey: "pro",
      addOns: [],
      status: "active" as const,
      startAt,
      ...(endAt === undefined ? {} : { endAt }),
    });
    const changes: Change[] = [];
    for (const id of ["forever", "ending", "later"]) changes.push({ kind: "tenant", after: { id } });
    changes.push(
      { kind: "subscription", after: subscription("forever", "2000-01-01T00:00:00Z") },
      { kind: "subscription", after: subscription("ending", "2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z") },
      { kind: "subscription", after: subscription("later", "2999-01-01T00:00:00Z") },
    );
    snapshot.apply(changes, 2);
    const clock = vi.spyOn(Date, "now");
    const ask = (tenantId: string, at?: string) => {
      clock.mockClear();
      const d = evaluate(snapshot, {
        subject: { tenantId },
        feature: "sso",
        at: at === undefined ? undefined : Date.parse(at),
      });
      return { entitled: d.entitled, reads: clock.mock.calls.length };
    };
    try {
      expect(ask("forever")).toEqual({ entitled: true, reads: 1 });
      expect(ask("forever")).toEqual({ entitled: true, reads: 0 });
      // A time of the request's own is still answered for that time, and leaves the memo for now alone.
      expect(ask("forever", "1999-01-01T00:00:00Z")).toEqual({ entitled: false, reads: 0 });
      expect(ask("forever")).toEqual({ entitled: true, reads: 0 });
      // A window that ends: every decision about now must know whether it has.
      expect(ask("ending")).toEqual({ entitled: true, reads: 1 });
      expect(ask("ending")).toEqual({ entitled: true, reads: 1 });
      // Memoised from a request's time in the future, an open-ended window has not begun now.
      expect(ask("later", "3000-01-01T00:00:00Z")).toEqual({ entitled: true, reads: 0 });
      expect(ask("later")).toEqual({ entitled: false, reads: 1 });
      expect(ask("later")).toEqual({ entitled: false, reads: 1 });
      // A catalog change drops the memo; the next decision about now reads the clock again.
      snapshot.apply([{ kind: "feature", after: { key: "new", name: "New", type: "boolean" } }], 3);
      expect(ask("forever")).toEqual({ entitled: true, reads: 1 });
      expect(ask("forever")).toEqual({ entitled: true, reads: 0 });
    } finally {
      clock.mockRestore();
    }
  });

  it("keeps the memo for now, whatever times requests name", () => {
    const snapshot = fresh();
    // On pro until 2999, then on a new open-ended subscription: two windows.
    const subscription = (id: string, startAt: string, endAt?: string) => ({
      id,
      tenantId: "renews",
      planKey: "pro",
      addOns: [],
      status: "active" as const,
      startAt,
      ...(endAt === undefined ? {} : { endAt }),
    });
    snapshot.apply(
      [
        { kind: "tenant", after: { id: "renews" } },
        {
          kind: "subscription",
          after: subscription("first", "2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z"),
        },
        { kind: "subscription", after: subscription("second", "2999-01-01T00:00:00Z") },
      ],
      2,
    );
    const ask = (at?: string) =>
      evaluate(snapshot, {
        subject: { tenantId: "renews" },
        feature: "sso",
        at: at === undefined ? undefined : Date.parse(at),
      }).entitled;
    const memoisedForNow = () =>
      snapshot.index.memo(snapshot.index.find("renews"), snapshot.catalog.generation, Date.now()) !== MISS;

    // The first question names a time in the later window; the next ones are about now, and are memoised.
    expect(ask("3000-01-01T00:00:00Z")).toBe(true);
    expect(memoisedForNow()).toBe(false);
    expect(ask()).toBe(true);
    expect(memoisedForNow()).toBe(true);
    // Named times, later or earlier, are answered for their time and leave the memo for now where it is.
    expect(ask("3000-01-01T00:00:00Z")).toBe(true);
    expect(ask("1999-01-01T00:00:00Z")).toBe(false);
    expect(memoisedForNow()).toBe(true);
    expect(ask()).toBe(true);
  });

  it("a memo for now does not leak into a check at another time", () => {
    const snapshot = fresh();
    const now = { subject: { tenantId: "hooli" }, feature: "sso", at: Date.parse("2026-08-01T00:00:00Z") };
    const later = { ...now, at: Date.parse("2027-02-01T00:00:00Z") };
    expect(evaluate(snapshot, now).entitled).toBe(false);
    expect(evaluate(snapshot, later).entitled).toBe(true);
    expect(evaluate(snapshot, now).entitled).toBe(false);
  });

  it("a tenant's second subscription counts, and its first stays when the second goes", () => {
    const snapshot = fresh();
    const request = { subject: { tenantId: "globex" }, feature: "sso", at };
    const second = {
      id: "sub-globex-2",
      tenantId: "globex",
      planKey: "pro",
      status: "active" as const,
      startAt: "2026-01-01T00:00:00Z",
    };
    snapshot.apply([{ kind: "subscription", after: second }], 2);
    expect(evaluate(snapshot, request).source).toEqual({ type: "plan", key: "pro" });
    snapshot.apply([{ kind: "subscription", before: second }], 3);
    expect(evaluate(snapshot, request).reason).toBe("FEATURE_NOT_IN_PLAN");
    expect(snapshot.toState().subscriptions.filter((s) => s.tenantId === "globex")).toEqual([
      fixture.state.subscriptions.find((s) => s.id === "sub-globex"),
    ]);
  });

  it("a change to a user reaches every tenant the user belongs to", () => {
    const snapshot = fresh();
    const member = (tenantId: string) => ({ tenantId, userId: "anne", roles: ["viewer"] });
    snapshot.apply(
      [
        { kind: "membership", after: member("globex") },
        { kind: "membership", after: member("stark") },
      ],
      2,
    );
    const reason = (tenantId: string) =>
      evaluate(snapshot, { subject: { tenantId, userId: "anne" }, feature: "sso", at }).reason;
    expect(["acme", "globex", "stark"].map(reason)).not.toContain("USER_NOT_IN_TENANT");
    // Out of one tenant again; deleting the user must then reach both tenants it is still in.
    snapshot.apply([{ kind: "membership", before: member("globex") }], 3);
    expect(reason("globex")).toBe("USER_NOT_IN_TENANT");
    snapshot.apply([{ kind: "user", before: { id: "anne" } }], 4);
    expect(["acme", "globex", "stark"].map(reason)).toEqual(Array(3).fill("USER_NOT_FOUND"));
  });

  it("round-trips through toState", () => {
    const snapshot = fresh();
    const copy = Snapshot.compile(snapshot.toState());
    for (const c of fixture.cases) {
      expect(evaluate(copy, toRequest(c.check)).reason, c.name).toBe(
        evaluate(snapshot, toRequest(c.check)).reason,
      );
    }
  });
});

// The index keeps up to MAX_INLINE_MEMBERS members inline and sends the evaluator to the entry beyond that:
// both ways must give the same answers, and follow membership changes.
describe.each([
  ["inline", 0],
  ["in the entry", MAX_INLINE_MEMBERS + 8],
])("a tenant's members, %s", (_, extra) => {
  const at = Date.parse("2026-08-01T00:00:00Z");
  const withExtraMembers = () => {
    const snapshot = Snapshot.compile(structuredClone(fixture.state) as EnvironmentState);
    const changes: Change[] = [];
    for (let i = 0; i < extra; i++) {
      changes.push({ kind: "user", after: { id: `extra${i}` } });
      changes.push({
        kind: "membership",
        after: { tenantId: "acme", userId: `extra${i}`, roles: ["viewer"] },
      });
    }
    snapshot.apply(changes, 2);
    return snapshot;
  };
  const check = (snapshot: Snapshot, userId: string, permission: string) =>
    evaluate(snapshot, { subject: { tenantId: "acme", userId }, permission, at });

  it("answers every fixture case as without them", () => {
    const plain = Snapshot.compile(fixture.state as EnvironmentState);
    const snapshot = withExtraMembers();
    for (const c of fixture.cases) {
      const { decisionId: _a, revision: _b, ...expected } = evaluate(plain, toRequest(c.check));
      const { decisionId: _c, revision: _d, ...actual } = evaluate(snapshot, toRequest(c.check));
      expect(actual, c.name).toEqual(expected);
    }
  });

  it("follows role changes, removed memberships and deleted users", () => {
    const snapshot = withExtraMembers();
    if (extra > 0) expect(check(snapshot, `extra${extra - 1}`, "invoices.read").entitled).toBe(true);
    expect(check(snapshot, "anne", "invoices.write").entitled).toBe(true);
    expect(check(snapshot, "carl", "invoices.read").reason).toBe("USER_NOT_IN_TENANT");

    const anne = fixture.state.memberships.find((m) => m.userId === "anne")!;
    const bob = fixture.state.memberships.find((m) => m.userId === "bob")!;
    snapshot.apply(
      [
        { kind: "membership", before: anne, after: { ...anne, roles: ["viewer"] } },
        { kind: "membership", before: bob },
        { kind: "user", before: { id: "carl" } },
      ],
      3,
    );
    expect(check(snapshot, "anne", "invoices.write").reason).toBe("PERMISSION_MISSING");
    expect(check(snapshot, "anne", "invoices.read").source).toEqual({ type: "role", key: "viewer" });
    expect(check(snapshot, "bob", "invoices.read").reason).toBe("USER_NOT_IN_TENANT");
    expect(check(snapshot, "carl", "invoices.read").reason).toBe("USER_NOT_FOUND");
  });
});

describe("flags in a decision", () => {
  const base = (flag: Flag): EnvironmentState => ({
    revision: 1,
    features: [{ key: "beta", name: "Beta", type: "boolean", flagKey: flag.key }],
    permissions: [],
    roles: [],
    plans: [{ key: "basic", name: "Basic", kind: "base", features: { beta: true } }],
    flags: [flag],
    routes: [],
    tenants: [
      { id: "t-eu", name: "EU", attributes: { region: "eu" } },
      { id: "t-us", name: "US", attributes: { region: "us" } },
    ],
    users: Array.from({ length: 40 }, (_, i) => ({ id: `u${i}`, attributes: { beta: i % 2 === 0 } })),
    memberships: Array.from({ length: 40 }, (_, i) => ({
      tenantId: i < 20 ? "t-eu" : "t-us",
      userId: `u${i}`,
      roles: [],
    })),
    subscriptions: ["t-eu", "t-us"].map((tenantId) => ({
      id: `sub-${tenantId}`,
      tenantId,
      planKey: "basic",
      status: "active" as const,
      startAt: "2026-01-01T00:00:00Z",
    })),
    grants: [],
  });
  const on = (snapshot: Snapshot, tenantId: string, userId?: string) =>
    evaluate(snapshot, { subject: { tenantId, userId }, feature: "beta" }).entitled;

  it("targets the tenant's and the user's attributes", () => {
    const snapshot = Snapshot.compile(
      base({
        key: "eu-beta",
        enabled: true,
        rules: [
          {
            conditions: [
              { attribute: "tenant.region", operator: "eq", values: ["eu"] },
              { attribute: "user.beta", operator: "eq", values: [true] },
            ],
          },
        ],
        default: false,
      }),
    );
    expect(on(snapshot, "t-eu", "u0")).toBe(true);
    expect(on(snapshot, "t-eu", "u1")).toBe(false);
    expect(on(snapshot, "t-us", "u20")).toBe(false);
    expect(on(snapshot, "t-eu")).toBe(false);
  });

  it("buckets a rollout by the user's id, and by the tenant's without a user", () => {
    const rollout: Flag = { key: "half", enabled: true, rollout: 50, bucketBy: "user", default: false };
    const snapshot = Snapshot.compile(base(rollout));
    for (let i = 0; i < 20; i++) {
      expect(on(snapshot, "t-eu", `u${i}`), `u${i}`).toBe(inRollout("half", `u${i}`, 50));
    }
    expect(on(snapshot, "t-us")).toBe(inRollout("half", "t-us", 50));
    // The same answers as the flag evaluated on the records themselves.
    const users = new Map(base(rollout).users.map((u) => [u.id, u]));
    for (let i = 0; i < 20; i++) {
      const direct = evaluateFlag(rollout, {
        tenant: { id: "t-eu", name: "EU" },
        user: users.get(`u${i}`),
        plans: ["basic"],
      }).on;
      expect(on(snapshot, "t-eu", `u${i}`)).toBe(direct);
    }
  });
});
