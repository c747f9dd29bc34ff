import { describe, expect, it } from "vitest";
import { evaluateFlag, type FlagContext } from "./flags";
import { fnv1a, inRollout, rolloutBucket } from "./hash";
import type { Flag, FlagCondition } from "./types";

const context = (over: Partial<FlagContext> = {}): FlagContext => ({
  tenant: { id: "acme", attributes: { region: "eu", seats: 12, tags: ["beta", "vip"] } },
  user: { id: "anne", attributes: { role: "owner" } },
  plans: ["pro"],
  attributes: { country: "DE" },
  ...over,
});

const flag = (over: Partial<Flag>): Flag => ({ key: "f", enabled: true, default: false, ...over });

describe("rollout hash", () => {
  it("is FNV-1a, stable across releases and runtimes", () => {
    // Published FNV-1a 32-bit test vectors: changing the hash would move every tenant's bucket.
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });

  it("spreads subjects evenly and honours the percentage", () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `tenant-${i}`);
    const share = ids.filter((id) => inRollout("new-ui", id, 25)).length / ids.length;
    expect(share).toBeGreaterThan(0.23);
    expect(share).toBeLessThan(0.27);
    expect(ids.every((id) => inRollout("x", id, 100))).toBe(true);
    expect(ids.some((id) => inRollout("x", id, 0))).toBe(false);
  });

  it("grows monotonically: raising the percentage never drops a subject", () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => `t${i}`);
    const at10 = ids.filter((id) => inRollout("f", id, 10));
    expect(at10.every((id) => inRollout("f", id, 30))).toBe(true);
    expect(rolloutBucket("f", "t1")).toBe(rolloutBucket("f", "t1"));
  });
});

describe("flag targeting", () => {
  it("an off flag serves false whatever its rules", () => {
    expect(evaluateFlag(flag({ enabled: false, default: true }), context()).on).toBe(false);
  });

  it("the first matching rule decides; all its conditions must hold", () => {
    const f = flag({
      rules: [
        { conditions: [{ attribute: "tenant.region", operator: "eq", values: ["us"] }], serve: true },
        {
          conditions: [
            { attribute: "tenant.plan", operator: "in", values: ["pro", "enterprise"] },
            { attribute: "user.role", operator: "eq", values: ["owner"] },
          ],
          serve: true,
        },
      ],
    });
    expect(evaluateFlag(f, context())).toEqual({ on: true, rule: 1 });
    expect(evaluateFlag(f, context({ user: { id: "bob", attributes: { role: "member" } } }))).toEqual({
      on: false,
      rule: -1,
    });
  });

  it("compares numbers, strings, lists and presence", () => {
    const on = (condition: FlagCondition) =>
      evaluateFlag(flag({ rules: [{ conditions: [condition], serve: true }] }), context()).on;
    expect(on({ attribute: "tenant.seats", operator: "gte", values: [12] })).toBe(true);
    expect(on({ attribute: "tenant.seats", operator: "gt", values: [12] })).toBe(false);
    expect(on({ attribute: "tenant.seats", operator: "eq", values: ["12"] })).toBe(true);
    expect(on({ attribute: "tenant.tags", operator: "in", values: ["vip"] })).toBe(true);
    expect(on({ attribute: "tenant.tags", operator: "not_in", values: ["blocked"] })).toBe(true);
    expect(on({ attribute: "country", operator: "starts_with", values: ["D"] })).toBe(true);
    expect(on({ attribute: "tenant.missing", operator: "exists" })).toBe(false);
    expect(on({ attribute: "tenant.missing", operator: "not_exists" })).toBe(true);
    expect(on({ attribute: "tenant.region", operator: "lt", values: [5] })).toBe(false);
    expect(on({ attribute: "user.id", operator: "neq", values: ["anne"] })).toBe(false);
  });

  it("a rule's rollout serves the opposite to those outside it, and buckets by user when asked", () => {
    const f = flag({ bucketBy: "user", rules: [{ conditions: [], rollout: 50, serve: true }] });
    const users = Array.from({ length: 400 }, (_, i) => ({ id: `u${i}` }));
    const served = users.filter((user) => evaluateFlag(f, context({ user })).on).length;
    expect(served).toBeGreaterThan(150);
    expect(served).toBeLessThan(250);
  });

  it("without a matching rule, the rollout, then the default", () => {
    expect(evaluateFlag(flag({ rollout: 100 }), context()).on).toBe(true);
    expect(evaluateFlag(flag({ rollout: 0, default: true }), context()).on).toBe(false);
    expect(evaluateFlag(flag({ default: true }), context()).on).toBe(true);
  });
});

describe("conditions found by exploratory testing", () => {
  const on = (condition: FlagCondition, over: Partial<FlagContext> = {}) =>
    evaluateFlag(flag({ rules: [{ conditions: [condition] }] }), context(over)).on;

  it("read only the attributes a record or request has itself, not Object.prototype's", () => {
    // Before, `constructor exists` held for a subject with no such attribute.
    for (const attribute of [
      "constructor",
      "tenant.constructor",
      "user.toString",
      "__proto__",
      "tenant.__proto__",
    ]) {
      expect(on({ attribute, operator: "exists" }), attribute).toBe(false);
    }
    expect(on({ attribute: "tenant.valueOf", operator: "not_exists" })).toBe(true);
    expect(on({ attribute: "country", operator: "exists" })).toBe(true);
  });

  it("order a number only against a number or a string that spells one", () => {
    // Before, Number() made null, "", " " and false 0, and true 1: null < 1 held while null = 0 did not.
    for (const x of [null, "", "   ", true, false, "abc"]) {
      for (const operator of ["lt", "lte", "gt", "gte"] as const) {
        expect(
          on({ attribute: "x", operator, values: [1] }, { attributes: { x } }),
          `${x} ${operator} 1`,
        ).toBe(false);
        expect(
          on({ attribute: "x", operator, values: [0] }, { attributes: { x } }),
          `${x} ${operator} 0`,
        ).toBe(false);
      }
    }
    expect(on({ attribute: "x", operator: "gt", values: [3] }, { attributes: { x: "5" } })).toBe(true);
    expect(on({ attribute: "x", operator: "lte", values: ["5"] }, { attributes: { x: 5 } })).toBe(true);
    expect(on({ attribute: "tenant.seats", operator: "gte", values: [12] })).toBe(true);
  });

  it("order two strings that spell numbers as numbers, and other strings as text", () => {
    // Before, "10" > "9" was false: two strings compared as text, though a number and "10" compared as numbers.
    const x = (value: string, operator: "gt" | "lt", than: string) =>
      on({ attribute: "x", operator, values: [than] }, { attributes: { x: value } });
    expect(x("10", "gt", "9")).toBe(true);
    expect(x("2.5", "lt", "10")).toBe(true);
    expect(x("2026-12-06", "gt", "2026-11-30")).toBe(true);
    expect(x("beta", "lt", "gamma")).toBe(true);
    expect(x("10", "gt", "abc")).toBe(false);
  });

  it("keep a rule's subjects where they were when a rule is added above it", () => {
    // Before, a rule's rollout hashed its place in the list: inserting a rule reshuffled who was in.
    const rollout = {
      conditions: [{ attribute: "tier", operator: "eq" as const, values: ["gold"] }],
      rollout: 30,
    };
    const before = flag({ rules: [rollout] });
    const after = flag({
      rules: [{ conditions: [{ attribute: "tier", operator: "eq", values: ["platinum"] }] }, rollout],
    });
    const tenants = Array.from({ length: 300 }, (_, i) => `t${i}`);
    const served = (f: Flag) =>
      tenants.filter((id) => evaluateFlag(f, context({ tenantId: id, attributes: { tier: "gold" } })).on);
    expect(served(after)).toEqual(served(before));
    expect(served(before).length).toBeGreaterThan(50);
  });
});
