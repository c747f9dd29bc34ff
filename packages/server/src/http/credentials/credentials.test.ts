import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../../testing/backends";
import { startTestServer, type TestServer } from "../../testing/server";

for (const backend of testBackends()) {
  describe(`applications and API keys on ${backend.name}`, () => {
    let server: TestServer;
    let appId: string;
    let serverKey: string;
    const verify = (body: Record<string, unknown>) => server.call("POST", "/v1/keys/verify", body, serverKey);
    const newKey = async (body: Record<string, unknown> = {}) => {
      const r = await server.call("POST", `/v1/applications/${appId}/keys`, { api: "payments@1", ...body });
      expect(r.statusCode, r.body).toBe(201);
      return r.json();
    };

    beforeAll(async () => {
      server = await startTestServer(backend);
      await server.tessera.services.catalog.create(server.environmentId, "test", "api", {
        key: "payments@1",
        name: "payments",
        majorVersion: 1,
        basePath: "/v1",
        scopes: [{ name: "payments:read" }, { name: "payments:write" }, { name: "refunds:write" }],
        operations: [
          { name: "listPayments", method: "GET", path: "/payments", alternatives: [["payments:read"]] },
          { name: "createPayment", method: "POST", path: "/payments", alternatives: [["payments:write"]] },
          { name: "refund", method: "POST", path: "/refunds", alternatives: [["refunds:write"]] },
          { name: "health", method: "GET", path: "/health", alternatives: [] },
        ],
      });
      await server.call("POST", "/v1/plans", {
        key: "pro",
        name: "Pro",
        features: {},
        apiAccess: [{ api: "payments@1", scopes: ["payments:read", "payments:write"] }],
      });
      await server.call("POST", "/v1/tenants", { id: "acme" });
      await server.call("POST", "/v1/subscriptions", { id: "s1", tenantId: "acme", planKey: "pro" });
      const app = await server.call("POST", "/v1/applications", {
        tenantId: "acme",
        name: "sync",
        metadata: { team: "billing" },
      });
      expect(app.statusCode, app.body).toBe(201);
      appId = app.json().id;
      serverKey = (await server.call("POST", "/v1/tokens", { name: "gateway", kind: "server" })).json().token;
    });
    afterAll(async () => server?.close());

    it("application lifecycle: create shows the secret once, get/list/patch never do", async () => {
      const got = await server.call("GET", `/v1/applications/${appId}`);
      expect(got.json()).toMatchObject({
        id: appId,
        clientId: appId,
        tenantId: "acme",
        tokenTtlSeconds: 900,
      });
      expect(got.json()).not.toHaveProperty("clientSecret");
      expect(JSON.stringify(got.json())).not.toContain("Hash");
      expect(got.json().secrets[0].display).toMatch(/^tsr_cs_…/);
      const list = await server.call("GET", "/v1/applications?tenantId=acme");
      expect(list.json().items.map((a: { id: string }) => a.id)).toContain(appId);
      const patched = await server.call("PATCH", `/v1/applications/${appId}`, {
        tokenTtlSeconds: 300,
        api: "payments@1",
      });
      expect(patched.json()).toMatchObject({
        tokenTtlSeconds: 300,
        api: "payments@1",
        metadata: { team: "billing" },
      });
      expect(
        (await server.call("POST", "/v1/applications", { tenantId: "ghost", name: "x" })).statusCode,
      ).toBe(422);
      expect(
        (await server.call("PATCH", `/v1/applications/${appId}`, { tokenTtlSeconds: 999999 })).statusCode,
      ).toBe(400);
      expect((await server.call("GET", "/v1/applications/app_missing")).statusCode).toBe(404);
    });

    it("creates a key shown once, recognisable, listed without its secret", async () => {
      const created = await newKey({ name: "ci", metadata: { owner: "ops" } });
      expect(created.key).toMatch(/^tsr_test_[A-Za-z0-9_-]{43}$/);
      expect(created.display).toBe(`tsr_test_…${created.key.slice(-4)}`);
      const list = (await server.call("GET", `/v1/applications/${appId}/keys`)).json();
      const listed = list.items.find((k: { id: string }) => k.id === created.id);
      expect(listed).toMatchObject({ name: "ci", display: created.display, metadata: { owner: "ops" } });
      expect(JSON.stringify(list)).not.toContain(created.key);
      expect(JSON.stringify(list)).not.toContain("keyHash");
      const v = await verify({ key: created.key });
      expect(v.statusCode).toBe(200);
      expect(v.json()).toMatchObject({
        valid: true,
        code: "VALID",
        keyId: created.id,
        tenantId: "acme",
        applicationId: appId,
        environment: "development",
        api: "payments@1",
        scopes: ["payments:read", "payments:write"],
      });
    });

    it("production keys carry tsr_live_", async () => {
      const prod = (await server.call("GET", "/v1/environments"))
        .json()
        .items.find((e: { key: string }) => e.key === "production");
      const token = (await server.call("POST", "/v1/tokens", { name: "p", environment: prod.id })).json()
        .token;
      await server.tessera.services.catalog.create(prod.id, "test", "api", {
        key: "payments@1",
        name: "payments",
        majorVersion: 1,
        scopes: [{ name: "payments:read" }],
        operations: [],
      });
      await server.call("POST", "/v1/tenants", { id: "acme" }, token);
      const app = (
        await server.call(
          "POST",
          "/v1/applications",
          { tenantId: "acme", name: "p", api: "payments@1" },
          token,
        )
      ).json();
      const key = await server.call("POST", `/v1/applications/${app.id}/keys`, {}, token);
      expect(key.statusCode, key.body).toBe(201);
      expect(key.json().key).toMatch(/^tsr_live_/);
      // A development gateway does not see production keys.
      expect((await verify({ key: key.json().key })).json()).toEqual({ valid: false, code: "NOT_FOUND" });
    });

    it("answers each code as a value", async () => {
      expect((await verify({ key: "tsr_test_nope" })).json()).toEqual({ valid: false, code: "NOT_FOUND" });

      const revoked = await newKey();
      const del = await server.call("DELETE", `/v1/applications/${appId}/keys/${revoked.id}`);
      expect(del.json().revokedAt).toEqual(expect.any(String));
      expect((await verify({ key: revoked.key })).json()).toMatchObject({ valid: false, code: "REVOKED" });

      const expiring = await newKey({ expiresAt: "2030-01-01T00:00:00Z" });
      expect((await verify({ key: expiring.key, at: "2029-12-31T23:59:59Z" })).json().code).toBe("VALID");
      expect((await verify({ key: expiring.key, at: "2030-01-01T00:00:00Z" })).json().code).toBe("EXPIRED");

      const fenced = await newKey({ ipAllowList: ["10.0.0.0/8", "2001:db8::/32"] });
      expect((await verify({ key: fenced.key, ip: "10.2.3.4" })).json().code).toBe("VALID");
      expect((await verify({ key: fenced.key, ip: "::ffff:10.2.3.4" })).json().code).toBe("VALID");
      expect((await verify({ key: fenced.key, ip: "2001:db8:5::1" })).json().code).toBe("VALID");
      expect((await verify({ key: fenced.key, ip: "192.168.0.1" })).json().code).toBe("IP_NOT_ALLOWED");
      expect((await verify({ key: fenced.key, ip: "2001:db9::1" })).json().code).toBe("IP_NOT_ALLOWED");
      expect((await verify({ key: fenced.key })).json().code).toBe("IP_NOT_ALLOWED");

      const office = await newKey({
        timeWindow: { days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00", timezone: "Europe/Paris" },
      });
      expect((await verify({ key: office.key, at: "2025-01-06T08:30:00Z" })).json().code).toBe("VALID"); // Mon 09:30 Paris
      expect((await verify({ key: office.key, at: "2025-01-06T17:30:00Z" })).json().code).toBe(
        "OUTSIDE_TIME_WINDOW",
      );
      expect((await verify({ key: office.key, at: "2025-01-05T10:00:00Z" })).json().code).toBe(
        "OUTSIDE_TIME_WINDOW",
      );

      const reader = await newKey({ scopes: ["payments:read"] });
      expect(
        (await verify({ key: reader.key, route: { method: "GET", path: "/v1/payments" } })).json(),
      ).toMatchObject({
        code: "VALID",
        scopes: ["payments:read"],
      });
      expect(
        (await verify({ key: reader.key, route: { method: "POST", path: "/v1/payments" } })).json().code,
      ).toBe("INSUFFICIENT_SCOPE");
      expect((await verify({ key: reader.key, scopes: ["payments:write"] })).json().code).toBe(
        "INSUFFICIENT_SCOPE",
      );
      expect(
        (await verify({ key: reader.key, route: { method: "GET", path: "/v1/health" } })).json().code,
      ).toBe("VALID");
      expect(
        (await verify({ key: reader.key, route: { method: "GET", path: "/nowhere" } })).json().code,
      ).toBe("ROUTE_NOT_FOUND");
      // Entitled to neither: the plan does not include refunds.
      const full = await newKey();
      expect(
        (await verify({ key: full.key, route: { method: "POST", path: "/v1/refunds" } })).json().code,
      ).toBe("INSUFFICIENT_SCOPE");
    });

    it("refuses a narrowing outside the entitlement and bad policies, field by field", async () => {
      const r = await server.call("POST", `/v1/applications/${appId}/keys`, {
        api: "payments@1",
        scopes: ["refunds:write"],
        ipAllowList: ["10.0.0.0/33"],
        timeWindow: { start: "09:00", end: "17:00", timezone: "Mars/Olympus" },
      });
      expect(r.statusCode).toBe(400);
      expect(
        r
          .json()
          .errors.map((e: { pointer: string }) => e.pointer)
          .sort(),
      ).toEqual(["/ipAllowList/0", "/scopes/0", "/timeWindow/timezone"]);
      expect(
        (await server.call("POST", `/v1/applications/${appId}/keys`, { api: "nope@1" })).statusCode,
      ).toBe(422);
    });

    it("patches policies; a downgrade narrows a key at once", async () => {
      const key = await newKey();
      const patched = await server.call("PATCH", `/v1/applications/${appId}/keys/${key.id}`, {
        ipAllowList: ["127.0.0.1"],
        metadata: { v: 2 },
      });
      expect(patched.json()).toMatchObject({ ipAllowList: ["127.0.0.1"], metadata: { v: 2 } });
      expect((await verify({ key: key.key, ip: "127.0.0.2" })).json().code).toBe("IP_NOT_ALLOWED");
      await server.call("PATCH", `/v1/applications/${appId}/keys/${key.id}`, { ipAllowList: null });
      expect((await verify({ key: key.key, ip: "127.0.0.2" })).json().code).toBe("VALID");

      await server.call("POST", "/v1/plans", {
        key: "basic",
        name: "Basic",
        features: {},
        apiAccess: [{ api: "payments@1", scopes: ["payments:read"] }],
      });
      await server.call("PATCH", "/v1/subscriptions/s1", { planKey: "basic" });
      expect((await verify({ key: key.key })).json().scopes).toEqual(["payments:read"]);
      expect((await verify({ key: key.key, scopes: ["payments:write"] })).json().code).toBe(
        "INSUFFICIENT_SCOPE",
      );
      await server.call("PATCH", "/v1/subscriptions/s1", { planKey: "pro" });
    });

    it("rotation: old and new both work in the grace period; the old expires after it", async () => {
      const key = await newKey({ scopes: ["payments:read"] });
      const rotated = await server.call("POST", `/v1/applications/${appId}/keys/${key.id}/rotate`, {
        gracePeriodSeconds: 600,
      });
      expect(rotated.statusCode, rotated.body).toBe(200);
      const next = rotated.json();
      expect(next.key).not.toBe(key.key);
      expect(next).toMatchObject({
        scopes: ["payments:read"],
        previous: { id: key.id, replacedBy: next.id },
      });
      expect((await verify({ key: key.key })).json().code).toBe("VALID");
      expect((await verify({ key: next.key })).json().code).toBe("VALID");
      const graceEnd = Date.parse(next.previous.expiresAt);
      const later = new Date(graceEnd + 1000).toISOString();
      expect((await verify({ key: key.key, at: later })).json().code).toBe("EXPIRED");
      expect((await verify({ key: next.key, at: later })).json().code).toBe("VALID");
    });

    it("writes the last-used time off the request path, eventually", async () => {
      const key = await newKey();
      expect((await verify({ key: key.key })).json().code).toBe("VALID");
      await expect
        .poll(
          async () =>
            (await server.call("GET", `/v1/applications/${appId}/keys/${key.id}`)).json().lastUsedAt,
          {
            timeout: 10_000,
          },
        )
        .toEqual(expect.any(String));
    });

    it("needs the decide right to verify, manage to administer", async () => {
      expect((await server.call("POST", "/v1/keys/verify", { key: "x" }, null)).statusCode).toBe(401);
      expect((await server.call("GET", "/v1/applications", undefined, serverKey)).statusCode).toBe(403);
    });

    it("a revoked application stops its keys", async () => {
      const key = await newKey();
      await server.call("DELETE", `/v1/applications/${appId}`);
      // At once from the application check; the key itself is revoked in the store too.
      expect((await verify({ key: key.key })).json()).toMatchObject({
        valid: false,
        code: "APPLICATION_REVOKED",
      });
      const stored = await server.call("GET", `/v1/applications/${appId}/keys/${key.id}`);
      expect(stored.json().revokedAt).toEqual(expect.any(String));
      expect(
        (await server.call("POST", `/v1/applications/${appId}/keys`, { api: "payments@1" })).statusCode,
      ).toBe(422);
    });
  });
}
