import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../testing/backends";
import { startTestServer, type TestServer } from "../testing/server";
import { MAX_NESTING } from "./validation";

/**
 * Values that pass a JSON schema but that the database (or Date.parse, which reads every stored time) cannot
 * take: each is a 400 naming the field, never a 500, and nothing is written. Found by fuzzing the API.
 */
for (const backend of testBackends()) {
  describe(`input the database cannot hold, on ${backend.name}`, () => {
    let server: TestServer;
    const changeCount = async () => (await server.call("GET", "/v1/changes?limit=1000")).json().items.length;

    beforeAll(async () => {
      server = await startTestServer(backend);
      await server.call("POST", "/v1/features", { key: "sso", name: "SSO", type: "boolean" });
      await server.call("POST", "/v1/plans", { key: "pro", name: "Pro", features: { sso: true } });
      await server.call("POST", "/v1/tenants", { id: "acme" });
    });
    afterAll(async () => server?.close());

    async function expectRefused(method: string, url: string, body: unknown, pointer: string, code: string) {
      const before = await changeCount();
      const response = await server.call(method, url, body);
      expect(response.statusCode, response.body).toBe(400);
      const problem = response.json();
      expect(problem.code).toBe(code);
      expect(problem.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
      expect(await changeCount()).toBe(before);
    }

    const subscription = { tenantId: "acme", planKey: "pro", startAt: "2026-01-01T00:00:00Z" };

    it("refuses times that Date.parse or PostgreSQL cannot read, and the environment stays writable", async () => {
      // A leap second, an offset in hours alone, the year 0000: all three pass ajv-formats' date-time. So do
      // times whose offset takes them past the year 9999 or before the year 1 in UTC, which PostgreSQL
      // refused (a 500) or which were read back as +010000-… and 0000-…, which this API then refused.
      for (const endAt of [
        "2027-12-31T23:59:60Z",
        "2027-06-01T10:00:00+05",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+01:00",
      ]) {
        await expectRefused(
          "POST",
          "/v1/subscriptions",
          { ...subscription, endAt },
          "/endAt",
          "VALIDATION_FAILED",
        );
      }
      await expectRefused(
        "POST",
        "/v1/grants",
        { tenantId: "acme", featureKey: "sso", value: true, expiresAt: "2026-12-31T23:59:60Z" },
        "/expiresAt",
        "VALIDATION_FAILED",
      );
      const created = await server.call("POST", "/v1/subscriptions", {
        ...subscription,
        endAt: "2027-12-31T23:59:59Z",
      });
      expect(created.statusCode, created.body).toBe(201);
      const check = await server.call("POST", "/v1/check", { subject: { tenantId: "acme" }, feature: "sso" });
      expect(check.json()).toMatchObject({ entitled: true });
    });

    it("refuses a decision time that Date.parse cannot read", async () => {
      const response = await server.call("POST", "/v1/check", {
        subject: { tenantId: "acme" },
        feature: "sso",
        at: "2026-12-31T23:59:60Z",
      });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().errors[0].pointer).toBe("/at");
    });

    it("refuses NUL and lone surrogates in body strings and keys, and takes a whole surrogate pair", async () => {
      await expectRefused(
        "POST",
        "/v1/tenants",
        { id: "t1", name: "a\u0000b" },
        "/name",
        "VALIDATION_FAILED",
      );
      await expectRefused(
        "POST",
        "/v1/tenants",
        { id: "t1", attributes: { region: ["eu", "\ud800"] } },
        "/attributes/region/1",
        "VALIDATION_FAILED",
      );
      await expectRefused(
        "POST",
        "/v1/tenants",
        { id: "t1", attributes: { "a/\udc00": 1 } },
        "/attributes/a~1\udc00",
        "VALIDATION_FAILED",
      );
      const emoji = await server.call("POST", "/v1/tenants", { id: "t2", name: "Rocket \ud83d\ude80" });
      expect(emoji.statusCode, emoji.body).toBe(201);
      expect((await server.call("GET", "/v1/tenants/t2")).json().name).toBe("Rocket 🚀");
    });

    it("refuses a number too large for a double, which JSON would store as null", async () => {
      // Raw bodies: JSON.stringify would write Infinity as null before the server saw it.
      await expectRefused(
        "POST",
        "/v1/tenants",
        '{"id": "huge", "attributes": {"employees": 1e400}}',
        "/attributes/employees",
        "VALIDATION_FAILED",
      );
      await server.call("POST", "/v1/features", { key: "theme", name: "Theme", type: "config" });
      await expectRefused(
        "PATCH",
        "/v1/plans/pro",
        '{"features": {"sso": true, "theme": {"sizes": [1, -1e999]}}}',
        "/features/theme/sizes/1",
        "VALIDATION_FAILED",
      );
      const response = await server.call("POST", "/v1/tenants", '{"id": "huge", "attributes": {"n": 1e400}}');
      expect(response.json().errors).toEqual([
        {
          pointer: "/attributes/n",
          message: "must be a finite number (this one is too large for a 64-bit float)",
          code: "number",
        },
      ]);
      // The largest double is a number like any other.
      const largest = await server.call(
        "POST",
        "/v1/tenants",
        '{"id": "huge", "attributes": {"n": 1.7976931348623157e308}}',
      );
      expect(largest.statusCode, largest.body).toBe(201);
      expect((await server.call("GET", "/v1/tenants/huge")).json().attributes).toEqual({
        n: Number.MAX_VALUE,
      });
    });

    it("refuses JSON nested deeper than any field needs, which overflowed the stack (a 500)", async () => {
      const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
      const deep = await server.call("POST", "/v1/tenants", `{"id": "deep", "attributes": ${nested(5_000)}}`);
      expect(deep.statusCode, deep.body).toBe(400);
      expect(deep.json()).toMatchObject({ code: "VALIDATION_FAILED" });
      expect(deep.json().errors).toEqual([
        {
          pointer: `/attributes${"/a".repeat(MAX_NESTING - 1)}`,
          message: `must not nest objects and arrays more than ${MAX_NESTING} deep`,
          code: "depth",
        },
      ]);
      const imported = await server.call(
        "POST",
        "/v1/apis/import",
        `{"name": "deep", "document": {"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "x": ${nested(5_000)}}}`,
      );
      expect(imported.statusCode, imported.body).toBe(400);
      expect((await server.call("GET", "/v1/tenants/deep")).statusCode).toBe(404);
      // Nesting up to the limit is stored as it came.
      const body = `{"id": "deep", "attributes": ${nested(MAX_NESTING - 1)}}`;
      const fine = await server.call("POST", "/v1/tenants", body);
      expect(fine.statusCode, fine.body).toBe(201);
      expect((await server.call("GET", "/v1/tenants/deep")).json().attributes).toEqual(
        JSON.parse(body).attributes,
      );
    });

    it("refuses NUL in a path parameter and in a query string", async () => {
      for (const url of ["/v1/features/a%00b", "/v1/changes?resourceId=%00"]) {
        const response = await server.call("GET", url);
        expect(response.statusCode, response.body).toBe(400);
        expect(response.json().code).toBe("VALIDATION_FAILED");
      }
    });

    it("refuses a cursor that decodes to a NUL, and a revision past what the database counts", async () => {
      const forged = Buffer.from("v1:sso\u0000", "utf8").toString("base64url");
      const cursor = await server.call("GET", `/v1/features?cursor=${forged}`);
      expect(cursor.statusCode, cursor.body).toBe(400);
      expect(cursor.json().code).toBe("INVALID_CURSOR");
      const revision = await server.call("GET", "/v1/changes?afterRevision=1e20");
      expect(revision.statusCode, revision.body).toBe(400);
      expect(revision.json().code).toBe("VALIDATION_FAILED");
    });

    it("answers a check whose strings hold a NUL from the snapshot, where they match nothing", async () => {
      const response = await server.call("POST", "/v1/check", {
        subject: { tenantId: "acme", attributes: { note: "a\u0000b" } },
        route: { method: "GET", path: "/reports/\u0000" },
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ entitled: false });
    });

    it("reads an OAuth form field named like an Object.prototype property as a field, not a repeat", async () => {
      const response = await server.tessera.app.inject({
        method: "POST",
        url: "/oauth/token",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: "grant_type=client_credentials&constructor=x",
      });
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      expect(response.body).not.toContain("repeated");
    });
  });
}
