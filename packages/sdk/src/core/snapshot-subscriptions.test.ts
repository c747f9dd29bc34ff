import { describe, expect, it } from "vitest";
import { Snapshot } from "./snapshot";
import type { EnvironmentState, Subscription } from "./types";

function subscription(id: string, tenantId: string, externalKey?: string): Subscription {
  return { id, tenantId, planKey: "pro", status: "active", startAt: "2026-01-01T00:00:00Z", externalKey };
}

function compile(subscriptions: Subscription[]): Snapshot {
  const state: EnvironmentState = {
    revision: 1,
    features: [],
    permissions: [],
    roles: [],
    plans: [],
    flags: [],
    routes: [],
    tenants: [{ id: "acme" }, { id: "globex" }],
    users: [],
    memberships: [],
    subscriptions,
    grants: [],
  };
  return Snapshot.compile(state);
}

const idOf = (snapshot: Snapshot, key: string) => snapshot.subscription(key)?.id;

describe("Snapshot.subscription, by id or external key", () => {
  it("finds a compiled subscription by either, and nothing for a key no subscription has", () => {
    const snapshot = compile([subscription("sub_1", "acme", "stripe_1"), subscription("sub_2", "globex")]);
    expect(idOf(snapshot, "sub_1")).toBe("sub_1");
    expect(idOf(snapshot, "stripe_1")).toBe("sub_1");
    expect(idOf(snapshot, "sub_2")).toBe("sub_2");
    expect(idOf(snapshot, "stripe_2")).toBeUndefined();
  });

  it("follows creates, external key changes and deletes", () => {
    const snapshot = compile([]);
    const created = subscription("sub_1", "acme", "stripe_1");
    snapshot.apply([{ kind: "subscription", after: created }], 2);
    expect(idOf(snapshot, "stripe_1")).toBe("sub_1");

    const rekeyed = subscription("sub_1", "acme", "stripe_9");
    snapshot.apply([{ kind: "subscription", before: created, after: rekeyed }], 3);
    expect(idOf(snapshot, "stripe_1")).toBeUndefined();
    expect(idOf(snapshot, "stripe_9")).toBe("sub_1");

    const unkeyed = subscription("sub_1", "acme");
    snapshot.apply([{ kind: "subscription", before: rekeyed, after: unkeyed }], 4);
    expect(idOf(snapshot, "stripe_9")).toBeUndefined();
    expect(idOf(snapshot, "sub_1")).toBe("sub_1");

    snapshot.apply([{ kind: "subscription", before: unkeyed }], 5);
    expect(idOf(snapshot, "sub_1")).toBeUndefined();
  });

  it("keeps an external key that moved to another subscription in the same write, in either order", () => {
    for (const order of ["taker first", "giver first"]) {
      const giver = subscription("sub_1", "acme", "stripe_1");
      const snapshot = compile([giver, subscription("sub_2", "globex")]);
      const gave = { kind: "subscription" as const, before: giver, after: subscription("sub_1", "acme") };
      const took = {
        kind: "subscription" as const,
        before: subscription("sub_2", "globex"),
        after: subscription("sub_2", "globex", "stripe_1"),
      };
      snapshot.apply(order === "taker first" ? [took, gave] : [gave, took], 2);
      expect(idOf(snapshot, "stripe_1"), order).toBe("sub_2");
      expect(idOf(snapshot, "sub_1"), order).toBe("sub_1");
    }
  });

  it("answers an id before an external key that happens to spell another subscription's id", () => {
    const snapshot = compile([subscription("sub_1", "acme"), subscription("sub_2", "globex", "sub_1")]);
    expect(idOf(snapshot, "sub_1")).toBe("sub_1");
  });
});
