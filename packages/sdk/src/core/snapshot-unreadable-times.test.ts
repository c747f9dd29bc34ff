import { describe, expect, it } from "vitest";
import { evaluate } from "./evaluate";
import { Snapshot } from "./snapshot";
import type { EnvironmentState, Grant, Subscription } from "./types";

// What the API refused only later: a leap second and an offset in hours alone. Date.parse reads neither.
const LEAP_SECOND = "2030-06-30T23:59:60Z";
const HOURS_ONLY = "2030-06-01T10:00:00+05";
const NOW = Date.parse("2027-01-01T00:00:00Z");

function subscription(id: string, tenantId: string, times: Partial<Subscription> = {}): Subscription {
  return { id, tenantId, planKey: "pro", status: "active", startAt: "2026-01-01T00:00:00Z", ...times };
}

function grant(id: string, tenantId: string, times: Partial<Grant> = {}): Grant {
  return { id, tenantId, featureKey: "sso", value: true, ...times };
}

function compile(subscriptions: Subscription[], grants: Grant[] = []): Snapshot {
  const state: EnvironmentState = {
    revision: 1,
    features: [
      { key: "reports", name: "Reports", type: "boolean" },
      { key: "sso", name: "SSO", type: "boolean" },
    ],
    permissions: [],
    roles: [],
    plans: [{ key: "pro", name: "Pro", kind: "base", features: { reports: true } }],
    flags: [],
    routes: [],
    tenants: [{ id: "acme" }, { id: "globex" }],
    users: [],
    memberships: [],
    subscriptions,
    grants,
  };
  return Snapshot.compile(state);
}

const check = (snapshot: Snapshot, tenantId: string, feature: string) =>
  evaluate(snapshot, { subject: { tenantId }, feature, at: NOW });

describe("stored times that Date.parse cannot read", () => {
  it("compile: the subscription that holds one grants nothing, the other tenants are untouched", () => {
    const snapshot = compile([
      subscription("sub_bad", "acme", { endAt: LEAP_SECOND }),
      subscription("sub_ok", "globex"),
    ]);
    expect(check(snapshot, "acme", "reports")).toMatchObject({
      entitled: false,
      reason: "NO_ACTIVE_SUBSCRIPTION",
    });
    expect(check(snapshot, "globex", "reports")).toMatchObject({ entitled: true, reason: "ENTITLED" });
    expect(snapshot.unreadableRecords()).toEqual([
      `subscription "sub_bad" of tenant "acme": unreadable endAt "${LEAP_SECOND}"`,
    ]);
  });

  it("every time field of a subscription counts, and each unreadable one is named", () => {
    const snapshot = compile([
      subscription("sub_1", "acme", { startAt: HOURS_ONLY, trialEndAt: LEAP_SECOND, status: "trialing" }),
    ]);
    expect(check(snapshot, "acme", "reports").entitled).toBe(false);
    expect(snapshot.unreadableRecords()).toEqual([
      `subscription "sub_1" of tenant "acme": unreadable startAt "${HOURS_ONLY}", trialEndAt "${LEAP_SECOND}"`,
    ]);
  });

  it("a grant that holds one grants nothing, in place of never expiring", () => {
    const snapshot = compile(
      [subscription("sub_1", "acme")],
      [grant("gr_bad", "acme", { expiresAt: LEAP_SECOND }), grant("gr_ok", "globex")],
    );
    expect(check(snapshot, "acme", "sso").entitled).toBe(false);
    expect(check(snapshot, "acme", "reports").entitled).toBe(true);
    expect(check(snapshot, "globex", "sso")).toMatchObject({ entitled: true, source: { type: "grant" } });
    expect(snapshot.unreadableRecords()).toEqual([
      `grant "gr_bad" of tenant "acme": unreadable expiresAt "${LEAP_SECOND}"`,
    ]);
  });

  it("a correction applied as a change grants again, and the record leaves the list", () => {
    const bad = subscription("sub_1", "acme", { endAt: LEAP_SECOND });
    const snapshot = compile([bad]);
    const fixed = subscription("sub_1", "acme", { endAt: "2030-07-01T00:00:00Z" });
    snapshot.apply([{ kind: "subscription", before: bad, after: fixed }], 2);
    expect(check(snapshot, "acme", "reports").entitled).toBe(true);
    expect(snapshot.unreadableRecords()).toEqual([]);

    const badGrant = grant("gr_1", "acme", { startAt: HOURS_ONLY });
    snapshot.apply([{ kind: "grant", after: badGrant }], 3);
    expect(snapshot.unreadableRecords()).toHaveLength(1);
    snapshot.apply([{ kind: "grant", before: badGrant }], 4);
    expect(snapshot.unreadableRecords()).toEqual([]);
  });

  it("a deleted tenant takes its records off the list", () => {
    const snapshot = compile([subscription("sub_1", "acme", { endAt: LEAP_SECOND })]);
    snapshot.apply([{ kind: "tenant", before: { id: "acme" } }], 2);
    expect(snapshot.unreadableRecords()).toEqual([]);
  });
});
