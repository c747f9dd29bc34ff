import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../testing/backends";
import { startTestServer, type TestServer } from "../testing/server";

for (const backend of testBackends()) {
  describe(`bad input on ${backend.name}: a clear 4xx, a stable code, nothing half-written`, () => {
    let server: TestServer;
    /** The number of change records: any write, even a partial one, would add to it. */
    const changeCount = async () => (await server.call("GET", "/v1/changes?limit=1000")).json().items.length;

    beforeAll(async () => {
      server = await startTestServer(backend, 16_384);
      await server.call("POST", "/v1/features", { key: "seats", name: "Seats", type: "limit" });
      await server.call("POST", "/v1/features", { key: "sso", name: "SSO", type: "boolean" });
      await server.call("POST", "/v1/permissions", { key: "invoices.read" });
      await server.call("POST", "/v1/plans", { key: "pro", name: "Pro", features: { seats: 10, sso: true } });
      await server.call("POST", "/v1/tenants", { id: "acme" });
    });
    afterAll(async () => server?.close());

    function expectProblem(response: Awaited<ReturnType<TestServer["call"]>>, status: number, code: string) {
      expect(response.statusCode, response.body).toBe(status);
      expect(response.headers["content-type"]).toContain("application/problem+json");
      const body = response.json();
      expect(body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String) });
      expect(body.type).toMatch(/^https:\/\//);
      expect(Array.isArray(body.errors)).toBe(true);
      return body;
    }

    it("malformed JSON", async () => {
      const before = await changeCount();
      expectProblem(await server.call("POST", "/v1/features", '{"key": "x", "name":'), 400, "MALFORMED_JSON");
      expect(await changeCount()).toBe(before);
    });

    it("an empty JSON body: none for a DELETE, malformed for a write; a poisoned prototype is malformed", async () => {
      await server.call("POST", "/v1/features", { key: "doomed", name: "Doomed", type: "boolean" });
      // As a shell helper that always sends Content-Type: application/json sends a DELETE.
      const deleted = await server.call("DELETE", "/v1/features/doomed", "");
      expect(deleted.statusCode, deleted.body).toBe(204);
      expect((await server.call("GET", "/v1/features/doomed")).statusCode).toBe(404);

      const before = await changeCount();
      expectProblem(await server.call("POST", "/v1/features", ""), 400, "MALFORMED_JSON");
      expectProblem(await server.call("PATCH", "/v1/features/seats", ""), 400, "MALFORMED_JSON");
      expectProblem(
        await server.call("POST", "/v1/tenants", '{"id": "proto", "__proto__": {"admin": true}}'),
        400,
        "MALFORMED_JSON",
      );
      expectProblem(
        await server.call(
          "POST",
          "/v1/tenants",
          '{"id": "ctor", "attributes": {"constructor": {"prototype": {}}}}',
        ),
        400,
        "MALFORMED_JSON",
      );
      expect(await changeCount()).toBe(before);
    });

    it("wrong types are named field by field", async () => {
      const body = expectProblem(
        await server.call("POST", "/v1/features", { key: "x", name: 5, type: "bool" }),
        400,
        "VALIDATION_FAILED",
      );
      const pointers = body.errors.map((e: { pointer: string }) => e.pointer);
      expect(pointers).toEqual(expect.arrayContaining(["/name", "/type"]));
      expect((await server.call("GET", "/v1/features/x")).statusCode).toBe(404);
    });

    it("a word outside a field's choices is named once, with the choices", async () => {
      const body = expectProblem(
        await server.call("POST", "/v1/features", { key: "x", name: "X", type: "bool" }),
        400,
        "VALIDATION_FAILED",
      );
      expect(body.errors).toEqual([
        { pointer: "/type", message: 'must be one of "boolean", "limit", "config"', code: "enum" },
      ]);
      expect(body.detail).toBe('The body is not valid: /type must be one of "boolean", "limit", "config"');
      // A union that is not all constants keeps ajv's own errors: a percentage or null.
      const flag = expectProblem(
        await server.call("POST", "/v1/flags", { key: "f", rollout: 101 }),
        400,
        "VALIDATION_FAILED",
      );
      expect(flag.errors.map((e: { code: string }) => e.code)).toEqual(["maximum", "type", "anyOf"]);
    });

    it("a string where a number belongs is not coerced", async () => {
      expectProblem(
        await server.call("POST", "/v1/check", {
          subject: { tenantId: "acme" },
          feature: "seats",
          requestedUsage: "5",
        }),
        400,
        "VALIDATION_FAILED",
      );
    });

    it("unknown fields are refused, not dropped", async () => {
      const body = expectProblem(
        await server.call("POST", "/v1/features", { key: "y", name: "Y", type: "boolean", nmae: "typo" }),
        400,
        "VALIDATION_FAILED",
      );
      expect(body.errors[0].pointer).toBe("/nmae");
    });

    it("a plan value that does not fit its feature's type", async () => {
      const before = await changeCount();
      const body = expectProblem(
        await server.call("POST", "/v1/plans", {
          key: "bad",
          name: "Bad",
          features: { seats: "ten", sso: 1 },
        }),
        422,
        "TYPE_MISMATCH",
      );
      expect(body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
        "/features/seats",
        "/features/sso",
      ]);
      expect((await server.call("GET", "/v1/plans/bad")).statusCode).toBe(404);
      expect(await changeCount()).toBe(before);
    });

    it("unknown references, all named at once", async () => {
      const before = await changeCount();
      const body = expectProblem(
        await server.call("POST", "/v1/subscriptions", {
          tenantId: "ghost",
          planKey: "platinum",
          addOns: ["nope"],
        }),
        422,
        "REFERENCE_NOT_FOUND",
      );
      expect(body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
        "/tenantId",
        "/planKey",
        "/addOns/0",
      ]);
      expect(await changeCount()).toBe(before);
    });

    it("a role with one good and one missing permission writes nothing", async () => {
      expectProblem(
        await server.call("POST", "/v1/roles", {
          key: "viewer",
          permissions: ["invoices.read", "invoices.nope"],
        }),
        422,
        "REFERENCE_NOT_FOUND",
      );
      expect((await server.call("GET", "/v1/roles/viewer")).statusCode).toBe(404);
    });

    it("a role that would include itself", async () => {
      await server.call("POST", "/v1/roles", { key: "a", permissions: [] });
      await server.call("POST", "/v1/roles", { key: "b", permissions: [], includes: ["a"] });
      expectProblem(await server.call("PATCH", "/v1/roles/a", { includes: ["b"] }), 400, "VALIDATION_FAILED");
      expect((await server.call("GET", "/v1/roles/a")).json().includes).toEqual([]);
    });

    it("an oversized body", async () => {
      const before = await changeCount();
      const huge = { key: "big", name: "Big", type: "boolean", description: "x".repeat(20_000) };
      expectProblem(await server.call("POST", "/v1/features", huge), 413, "PAYLOAD_TOO_LARGE");
      expect(await changeCount()).toBe(before);
    });

    it("a duplicate key", async () => {
      const before = await changeCount();
      expectProblem(
        await server.call("POST", "/v1/features", { key: "seats", name: "Seats again", type: "limit" }),
        409,
        "DUPLICATE_KEY",
      );
      expect((await server.call("GET", "/v1/features/seats")).json().name).toBe("Seats");
      expect(await changeCount()).toBe(before);
    });

    it("a duplicate external key on subscriptions", async () => {
      const ok = await server.call("POST", "/v1/subscriptions", {
        tenantId: "acme",
        planKey: "pro",
        externalKey: "cus_1",
      });
      expect(ok.statusCode, ok.body).toBe(201);
      expectProblem(
        await server.call("POST", "/v1/subscriptions", {
          tenantId: "acme",
          planKey: "pro",
          externalKey: "cus_1",
        }),
        409,
        "DUPLICATE_KEY",
      );
    });

    it("a missing token, a malformed header, an unknown token", async () => {
      const missing = expectProblem(
        await server.call("GET", "/v1/features", undefined, null),
        401,
        "UNAUTHENTICATED",
      );
      expect(missing.detail).toContain("Bearer");
      const response = await server.call("GET", "/v1/features", undefined, null);
      expect(response.headers["www-authenticate"]).toContain("Bearer");
      expectProblem(
        await server.call("GET", "/v1/features", undefined, "tsr_mgmt_not-a-real-token"),
        401,
        "UNAUTHENTICATED",
      );
      // Authentication comes before validation: a stranger learns nothing about the body's shape.
      expectProblem(await server.call("POST", "/v1/check", { nonsense: true }, null), 401, "UNAUTHENTICATED");
    });

    it("a revoked token", async () => {
      const created = await server.call("POST", "/v1/tokens", { name: "temp" });
      expect(created.statusCode, created.body).toBe(201);
      const { id, token } = created.json();
      expect(token).toMatch(/^tsr_mgmt_/);
      expect((await server.call("GET", "/v1/features", undefined, token)).statusCode).toBe(200);
      expect((await server.call("DELETE", `/v1/tokens/${id}`)).statusCode).toBe(200);
      expectProblem(await server.call("GET", "/v1/features", undefined, token), 401, "TOKEN_REVOKED");
      const listed = (await server.call("GET", "/v1/tokens")).json().items;
      expect(JSON.stringify(listed)).not.toContain(token);
      expect(listed.find((t: { id: string }) => t.id === id).display).toMatch(/^tsr_mgmt_…/);
    });

    it("tokens are listed a page at a time, oldest first, and a forged cursor is refused", async () => {
      for (let i = 0; i < 5; i++) await server.call("POST", "/v1/tokens", { name: `paged-${i}` });
      const all = (await server.call("GET", "/v1/tokens?limit=1000")).json();
      expect(all.nextCursor).toBeUndefined();
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = (
          await server.call("GET", `/v1/tokens?limit=2${cursor ? `&cursor=${cursor}` : ""}`)
        ).json();
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((t: { id: string }) => t.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all.items.map((t: { id: string }) => t.id));
      expect(seen.length).toBeGreaterThanOrEqual(6);
      const forged = Buffer.from('v2:["token","tok_nobody"]', "utf8").toString("base64url");
      expectProblem(await server.call("GET", `/v1/tokens?cursor=${forged}`), 400, "INVALID_CURSOR");
      expectProblem(await server.call("GET", "/v1/tokens?cursor=garbage"), 400, "INVALID_CURSOR");
      expectProblem(await server.call("GET", "/v1/tokens?limit=0"), 400, "VALIDATION_FAILED");
    });

    it("a server key may decide but not manage", async () => {
      const { token } = (await server.call("POST", "/v1/tokens", { name: "edge", kind: "server" })).json();
      expect(token).toMatch(/^tsr_sk_/);
      expectProblem(await server.call("GET", "/v1/features", undefined, token), 403, "FORBIDDEN");
      const check = await server.call(
        "POST",
        "/v1/check",
        { subject: { tenantId: "acme" }, feature: "sso" },
        token,
      );
      expect(check.statusCode).toBe(200);
      expectProblem(await server.call("POST", "/v1/tokens", { name: "escalate" }, token), 403, "FORBIDDEN");
    });

    it("a check that asks two questions, or a permission without a user", async () => {
      expectProblem(
        await server.call("POST", "/v1/check", {
          subject: { tenantId: "acme" },
          feature: "sso",
          permission: "invoices.read",
        }),
        400,
        "VALIDATION_FAILED",
      );
      const none = expectProblem(
        await server.call("POST", "/v1/check", { subject: { tenantId: "acme" } }),
        400,
        "VALIDATION_FAILED",
      );
      // Each field error has a code, as every validation error does.
      expect(none.errors).toEqual([
        { pointer: "/", message: "give exactly one of feature, permission, route, entity", code: "oneOf" },
      ]);
      const noUser = expectProblem(
        await server.call("POST", "/v1/check", {
          subject: { tenantId: "acme" },
          permission: "invoices.read",
        }),
        400,
        "VALIDATION_FAILED",
      );
      expect(noUser.errors).toEqual([
        {
          pointer: "/subject/userId",
          message: "required for a permission or entity check",
          code: "required",
        },
      ]);
      expectProblem(
        await server.call("POST", "/v1/check", {
          subject: { tenantId: "acme" },
          feature: "sso",
          at: "yesterday",
        }),
        400,
        "VALIDATION_FAILED",
      );
    });

    it("a body that is not JSON, a cursor we never gave, an endpoint that does not exist", async () => {
      const response = await server.tessera.app.inject({
        method: "POST",
        url: "/v1/features",
        headers: { authorization: `Bearer ${server.token}`, "content-type": "text/plain" },
        payload: "key=x",
      });
      expectProblem(response, 415, "UNSUPPORTED_MEDIA_TYPE");
      expectProblem(await server.call("GET", "/v1/features?cursor=garbage"), 400, "INVALID_CURSOR");
      expectProblem(await server.call("GET", "/v1/featurez"), 404, "ENDPOINT_NOT_FOUND");
      expectProblem(await server.call("GET", "/v1/features?limit=0"), 400, "VALIDATION_FAILED");
    });

    it("a method a path does not answer: 405 with the methods it does answer", async () => {
      const put = expectProblem(await server.call("PUT", "/v1/features", {}), 405, "METHOD_NOT_ALLOWED");
      expect(put.detail).toContain("GET");
      const check = await server.call("DELETE", "/v1/check");
      expectProblem(check, 405, "METHOD_NOT_ALLOWED");
      expect(check.headers.allow).toBe("POST");
      // A path with parameters, and the same path with a query string.
      const feature = await server.call("POST", "/v1/features/seats?x=1", {});
      expectProblem(feature, 405, "METHOD_NOT_ALLOWED");
      expect(String(feature.headers.allow).split(", ")).toEqual(
        expect.arrayContaining(["DELETE", "GET", "PATCH"]),
      );
      expectProblem(await server.call("DELETE", "/v1/featurez/seats"), 404, "ENDPOINT_NOT_FOUND");
    });

    it("an id as long as the schema allows can be read back; a path Fastify cannot route is a problem too", async () => {
      const id = "u".repeat(200);
      expect((await server.call("POST", "/v1/users", { id })).statusCode).toBe(201);
      const read = await server.call("GET", `/v1/users/${id}`);
      expect(read.statusCode, read.body).toBe(200);
      expect(read.json().id).toBe(id);
      // Past the schema's limit, and past the router's.
      expectProblem(await server.call("GET", `/v1/users/${"u".repeat(301)}`), 400, "VALIDATION_FAILED");
      expectProblem(await server.call("GET", `/v1/users/${"u".repeat(1100)}`), 400, "VALIDATION_FAILED");
      for (const segment of ["%ZZ", "%ED%A0%80", "%"]) {
        expectProblem(await server.call("GET", `/v1/features/${segment}`), 400, "VALIDATION_FAILED");
      }
    });

    it("deleting what is still used is refused; archiving is the way out", async () => {
      const body = expectProblem(await server.call("DELETE", "/v1/features/seats"), 409, "RESOURCE_IN_USE");
      expect(body.detail).toContain('plan "pro"');
      const archived = await server.call("PATCH", "/v1/features/seats", { archived: true });
      expect(archived.statusCode).toBe(200);
      const check = await server.call("POST", "/v1/check", {
        subject: { tenantId: "acme" },
        feature: "seats",
      });
      expect(check.json().reason).toBe("FEATURE_ARCHIVED");
    });

    it("a feature's key and type cannot change", async () => {
      expectProblem(
        await server.call("PATCH", "/v1/features/sso", { type: "limit" }),
        400,
        "VALIDATION_FAILED",
      );
      expectProblem(
        await server.call("PATCH", "/v1/features/sso", { key: "sso2" }),
        400,
        "VALIDATION_FAILED",
      );
    });

    it("updating or deleting what does not exist", async () => {
      expectProblem(await server.call("PATCH", "/v1/features/ghost", { name: "Ghost" }), 404, "NOT_FOUND");
      expectProblem(await server.call("DELETE", "/v1/tenants/ghost"), 404, "NOT_FOUND");
    });
  });
}
