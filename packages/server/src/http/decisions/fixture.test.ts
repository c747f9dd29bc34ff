import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fixture from "../../../../sdk/test/fixtures/decisions.json";
import { testBackends } from "../../testing/backends";
import { startTestServer, type TestServer } from "../../testing/server";

/**
 * The SDK's shared decision fixture, built through the management API and asked through POST /v1/check:
 * the server must answer exactly what the in-process evaluator answers.
 */
for (const backend of testBackends()) {
  describe(`shared decision fixture over HTTP on ${backend.name}`, () => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(backend);
      const { state } = fixture;
      // Dependency order: what a resource refers to exists before it.
      const steps: [string, unknown[]][] = [
        ["/v1/flags", state.flags],
        ["/v1/features", state.features],
        ["/v1/permissions", state.permissions],
        ["/v1/roles", state.roles],
        ["/v1/plans", state.plans],
        ["/v1/routes", state.routes],
        ["/v1/tenants", state.tenants],
        ["/v1/users", state.users],
        ["/v1/subscriptions", state.subscriptions],
        ["/v1/grants", state.grants],
      ];
      for (const [url, items] of steps) {
        for (const item of items) {
          const response = await server.call("POST", url, item);
          expect(response.statusCode, `${url} ${response.body}`).toBe(201);
        }
      }
      for (const m of state.memberships) {
        const response = await server.call("PUT", `/v1/tenants/${m.tenantId}/members/${m.userId}`, {
          roles: m.roles,
        });
        expect(response.statusCode, response.body).toBe(200);
      }
    });
    afterAll(async () => server?.close());

    for (const c of fixture.cases) {
      it(c.name, async () => {
        const response = await server.call("POST", "/v1/check", c.check);
        expect(response.statusCode, response.body).toBe(200);
        expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
        const decision = response.json();
        expect(decision).toMatchObject(c.expect);
        if ("remediation" in c.expect) expect(decision.remediation).toEqual(c.expect.remediation);
        expect(decision.decisionId).toMatch(/^dec_/);
        expect(decision.revision).toBeGreaterThan(0);
      });
    }

    it("answers a batch in order, with the same decisions", async () => {
      const checks = fixture.cases.slice(0, 20).map((c) => c.check);
      const response = await server.call("POST", "/v1/check/batch", { checks });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
      const { decisions } = response.json() as { decisions: { reason: string }[] };
      expect(decisions.map((d) => d.reason)).toEqual(fixture.cases.slice(0, 20).map((c) => c.expect.reason));
    });

    it("looks up everything a subject has", async () => {
      const response = await server.call("POST", "/v1/lookup", {
        subject: { tenantId: "acme", userId: "bob" },
        at: "2026-08-01T00:00:00Z",
      });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json();
      expect(body.plans).toEqual(["pro", "extra-seats"]);
      const byKey = Object.fromEntries(body.features.map((f: { key: string }) => [f.key, f]));
      expect(byKey.sso).toMatchObject({ entitled: true, source: { type: "plan", key: "pro" } });
      expect(byKey.seats).toMatchObject({ entitled: true, value: 30 });
      expect(byKey["beta-reports"]).toMatchObject({ entitled: false, reason: "FEATURE_DISABLED" });
      expect(byKey.legacy).toBeUndefined();
      const permissions = body.permissions.map((p: { key: string }) => p.key).sort();
      expect(permissions).toEqual(["invoices.read", "invoices.write"]);
      // bob's write grant expires on 2026-09-01: the answer says when it may change.
      expect(body.validUntil).toBe("2026-09-01T00:00:00.000Z");
    });

    it("lists a subscription's entitlements by its external key (the seed's query)", async () => {
      const response = await server.call("GET", "/v1/entitlements?subscriptionKey=stripe_sub_initech");
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json();
      expect(body.subscription).toMatchObject({ id: "sub-initech", planKey: "enterprise", active: true });
      // In key order, as every list in an answer, whatever order the plan's features were written in.
      const keys = body.entitlements.map((e: { featureKey: string }) => e.featureKey);
      expect(keys).toEqual(["api-calls", "audit-log", "beta-reports", "seats", "sso", "theme"]);
      const missing = await server.call("GET", "/v1/entitlements?subscriptionKey=nope");
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe("NOT_FOUND");
    });
  });
}
