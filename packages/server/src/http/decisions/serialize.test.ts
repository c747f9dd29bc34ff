import type { Decision } from "@tessera/sdk/core";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { DecisionSchema } from "../../schemas/decisions";
import { serializeDecision, serializeDecisions } from "./serialize";

const base = { entitled: true, reason: "ENTITLED", message: "Entitled.", decisionId: "dec_1", revision: 3 };

/** Decisions as the evaluator gives them, and some it never should: the two serializers must agree on all. */
const CASES: unknown[] = [
  base,
  { ...base, source: { type: "plan", key: "pro" } },
  {
    ...base,
    source: { type: "grant", key: "g_1", extra: "dropped" },
    validUntil: "2026-09-01T00:00:00.000Z",
  },
  { ...base, value: 30, limit: 30 },
  { ...base, value: { nested: ["a", 1, null, true] }, limit: null },
  { ...base, value: null },
  { ...base, value: 'text with "quotes" and \\ and \n' },
  { ...base, value: false },
  { ...base, limit: 0 },
  { ...base, limit: -0 },
  { ...base, limit: 1.5 },
  {
    ...base,
    entitled: false,
    reason: "FEATURE_NOT_IN_PLAN",
    message: 'Feature "sso" is not in the plan; upgrade.',
    remediation: { plans: ["pro", "enterprise"] },
  },
  { ...base, entitled: false, reason: "PERMISSION_MISSING", remediation: { roles: ["admin"], scopes: [] } },
  { ...base, entitled: false, reason: "SCOPE_MISSING", remediation: { scopes: ["read:pets", 'we"ird'] } },
  { ...base, remediation: {} },
  { ...base, remediation: { plans: ["a"], roles: ["b"], scopes: ["c"], other: ["d"] } },
  { ...base, message: "" },
  { ...base, message: "short" },
  { ...base, message: "a message that is longer than forty-two characters, to take the other path" },
  { ...base, message: "control \u0001 and emoji 😀 and lone \ud800 surrogate" },
  { ...base, message: "é à ü — non-ASCII" },
  { ...base, message: 42 },
  { ...base, message: null },
  { ...base, decisionId: "dec_0123456789ab_zz", revision: 9_007_199_254_740_991 },
  { ...base, revision: 2.7 },
  { ...base, revision: "5" },
  { ...base, entitled: 0 },
  { ...base, entitled: "yes" },
  { ...base, extra: "dropped" },
  // Refused by both: a required field missing, or a value the schema does not allow.
  { ...base, reason: "NOT_A_REASON" },
  { ...base, reason: undefined },
  { ...base, message: undefined },
  { ...base, decisionId: undefined },
  { ...base, revision: undefined },
  { ...base, revision: Number.NaN },
  { ...base, limit: "30" },
  { ...base, limit: Number.POSITIVE_INFINITY },
  { ...base, limit: Number.NaN },
  { ...base, source: { type: "plan" } },
  { ...base, remediation: { plans: "pro" } },
];

describe("serializeDecision", () => {
  it("writes what Fastify's schema serializer writes for DecisionSchema, and refuses what it refuses", async () => {
    const app = Fastify({ logger: false });
    app.get(
      "/:i",
      { schema: { response: { 200: DecisionSchema } } },
      async (request) => CASES[Number((request.params as { i: string }).i)],
    );
    await app.ready();
    const refused: boolean[] = [];
    try {
      for (const [i, decision] of CASES.entries()) {
        const response = await app.inject({ method: "GET", url: `/${i}` });
        let ours: string | Error;
        try {
          ours = serializeDecision(decision as Decision);
        } catch (error) {
          ours = error as Error;
        }
        refused.push(response.statusCode !== 200);
        if (response.statusCode === 200) expect(ours, JSON.stringify(decision)).toBe(response.body);
        else expect(ours, JSON.stringify(decision)).toBeInstanceOf(Error);
      }
      // The last eleven cases are the ones the schema refuses.
      expect(refused).toEqual(CASES.map((_, i) => i >= CASES.length - 11));
    } finally {
      await app.close();
    }
  });

  it("knows every field of DecisionSchema, so a field added to the schema cannot be dropped in silence", () => {
    const every = {
      ...base,
      source: { type: "plan", key: "pro" },
      value: 1,
      limit: 1,
      remediation: { plans: ["pro"], roles: ["admin"], scopes: ["read"] },
    };
    expect(Object.keys(every).sort()).toEqual(Object.keys(DecisionSchema.properties).sort());
    expect(Object.keys(JSON.parse(serializeDecision(every as Decision))).sort()).toEqual(
      Object.keys(DecisionSchema.properties).sort(),
    );
  });

  it("reuses what it wrote only for what cannot have changed since", () => {
    // Frozen all the way down: written once, then reused.
    const source = Object.freeze({ type: "plan", key: "pro" });
    const remediation = Object.freeze({ plans: Object.freeze(["pro", "enterprise"]) });
    const frozen = { ...base, source, remediation } as Decision;
    const first = serializeDecision(frozen);
    expect(serializeDecision({ ...frozen, decisionId: "dec_2" })).toBe(first.replace("dec_1", "dec_2"));
    expect(JSON.parse(first)).toMatchObject({ source, remediation: { plans: ["pro", "enterprise"] } });

    // Not frozen, or frozen only on the outside: changes show in the next body.
    const open = { type: "plan", key: "pro" };
    const shallow = Object.freeze({ plans: ["pro"] });
    const decision = { ...base, source: open, remediation: shallow } as unknown as Decision;
    expect(JSON.parse(serializeDecision(decision))).toMatchObject({ source: open, remediation: shallow });
    open.key = "enterprise";
    shallow.plans.push("enterprise");
    expect(JSON.parse(serializeDecision(decision))).toMatchObject({
      source: { type: "plan", key: "enterprise" },
      remediation: { plans: ["pro", "enterprise"] },
    });

    // Frozen, but what it holds can answer differently: a getter, a prototype that can change.
    let key = "pro";
    const getter = Object.freeze({
      type: "plan",
      get key() {
        return key;
      },
    });
    const prototype = { key: "pro" };
    const inherited = Object.freeze(Object.assign(Object.create(prototype), { type: "plan" }));
    for (const source of [getter, inherited]) {
      const moving = { ...base, source } as Decision;
      expect(JSON.parse(serializeDecision(moving)).source).toEqual({ type: "plan", key: "pro" });
      key = "enterprise";
      prototype.key = "enterprise";
      expect(JSON.parse(serializeDecision(moving)).source).toEqual({ type: "plan", key: "enterprise" });
      key = "pro";
      prototype.key = "pro";
    }
  });

  it("writes each decision's own verdict and reason, whatever message it shares with another", () => {
    const message = "One message for several answers.";
    const answers = [
      { entitled: true, reason: "ENTITLED" },
      { entitled: false, reason: "ENTITLED" },
      { entitled: false, reason: "FEATURE_NOT_IN_PLAN" },
      { entitled: true, reason: "ENTITLED" },
    ];
    for (const answer of answers) {
      const body = JSON.parse(serializeDecision({ ...base, ...answer, message } as Decision));
      expect(body).toMatchObject({ ...answer, message });
    }
    // More distinct messages than the cache keeps: every body is still its own.
    for (let i = 0; i < 10_000; i++) {
      const body = JSON.parse(serializeDecision({ ...base, message: `message ${i}` } as Decision));
      expect(body.message).toBe(`message ${i}`);
    }
  });

  it("writes a batch as {decisions: […]}", () => {
    const decisions = CASES.slice(0, 3) as Decision[];
    expect(JSON.parse(serializeDecisions(decisions))).toEqual({
      decisions: decisions.map((d) => JSON.parse(serializeDecision(d))),
    });
    expect(serializeDecisions([])).toBe('{"decisions":[]}');
  });
});
