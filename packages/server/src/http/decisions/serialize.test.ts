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

  it("writes a batch as {decisions: […]}", () => {
    const decisions = CASES.slice(0, 3) as Decision[];
    expect(JSON.parse(serializeDecisions(decisions))).toEqual({
      decisions: decisions.map((d) => JSON.parse(serializeDecision(d))),
    });
    expect(serializeDecisions([])).toBe('{"decisions":[]}');
  });
});
