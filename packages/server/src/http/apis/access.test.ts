import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../../testing/backends";
import { startTestServer, type TestServer } from "../../testing/server";

type Security = Record<string, string[]>[];
type Operation = { operationId: string; summary?: string; description?: string; security: Security };
type Paths = Record<string, Record<string, Operation>>;
const oauth = (...scopes: string[]): Security => [{ oauth: scopes }];

/** A small payments API whose operations each require an OAuth2 scope of their own name. */
function paymentsDocument(version: string, basePath: string, edit?: (paths: Paths) => void) {
  const paths: Paths = {
    "/payments": {
      get: { operationId: "getPayments", summary: "List payments", security: oauth("getPayments") },
      post: { operationId: "createPayment", summary: "Create a payment", security: oauth("createPayment") },
    },
    "/payments/{paymentId}": {
      get: { operationId: "getPaymentById", security: oauth("getPaymentById") },
    },
    "/payments/{paymentId}/refunds": {
      post: { operationId: "refundPayment", security: oauth("refundPayment") },
    },
    "/transactions": { get: { operationId: "listTransactions", security: oauth("listTransactions") } },
    "/legacy-report": { get: { operationId: "getLegacyReport", security: oauth("getLegacyReport") } },
    "/health": { get: { operationId: "health", security: [] } },
  };
  edit?.(paths);
  const scopes: Record<string, string> = {};
  for (const item of Object.values(paths)) {
    for (const op of Object.values(item))
      for (const s of op.security.flatMap((r) => Object.values(r).flat())) scopes[s] = `May ${s}`;
  }
  return {
    openapi: "3.0.3",
    info: { title: "Payments", version },
    servers: [{ url: `https://api.example.com${basePath}` }],
    components: {
      securitySchemes: {
        oauth: {
          type: "oauth2",
          flows: { clientCredentials: { tokenUrl: "https://auth.example.com/token", scopes } },
        },
      },
    },
    paths,
  };
}

/** v1.5: getLegacyReport is gone, capturePayment is new, refunds now need `refunds:write`. */
const paymentsV15 = paymentsDocument("1.5.0", "/v1", (paths) => {
  delete paths["/legacy-report"];
  paths["/payments/{paymentId}/capture"] = {
    post: { operationId: "capturePayment", security: oauth("capturePayment") },
  };
  paths["/payments/{paymentId}/refunds"]!.post!.security = oauth("refunds:write");
});

for (const backend of testBackends()) {
  describe(`API access by plans, roles and grants over HTTP on ${backend.name}`, () => {
    let server: TestServer;

    const ok = async (method: string, url: string, body?: unknown, status = 200) => {
      const response = await server.call(method, url, body);
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(status);
      return response.json();
    };
    const check = (tenantId: string, method: string, path: string, scopes?: string[]) =>
      ok("POST", "/v1/check", {
        subject: { tenantId },
        route: { method, path },
        ...(scopes === undefined ? {} : { scopes }),
      });

    beforeAll(async () => {
      server = await startTestServer(backend);
      const imported = await ok("POST", "/v1/apis/import", {
        name: "payments",
        document: paymentsDocument("1.4.0", "/v1"),
        apply: true,
      });
      expect(imported.api).toMatchObject({ key: "payments@1", basePath: "/v1", operationCount: 7 });

      await ok(
        "POST",
        "/v1/roles",
        { key: "payments-reader", scopes: ["getPayments", "getPaymentById", "listTransactions"] },
        201,
      );
      await ok(
        "POST",
        "/v1/roles",
        { key: "payments-admin", includes: ["payments-reader"], scopes: ["createPayment", "refundPayment"] },
        201,
      );
      await ok(
        "POST",
        "/v1/plans",
        {
          key: "payments-basic",
          name: "Payments basic",
          apiAccess: [{ api: "payments@1", roles: ["payments-reader"], scopes: ["getLegacyReport"] }],
        },
        201,
      );
      await ok(
        "POST",
        "/v1/plans",
        {
          key: "payments-admin-addon",
          name: "Payments admin",
          kind: "addon",
          apiAccess: [{ api: "payments@1", roles: ["payments-admin"] }],
        },
        201,
      );
      for (const id of ["reader-co", "admin-co", "granted-co"]) await ok("POST", "/v1/tenants", { id }, 201);
      await ok(
        "POST",
        "/v1/subscriptions",
        { id: "sub-reader", tenantId: "reader-co", planKey: "payments-basic" },
        201,
      );
      await ok(
        "POST",
        "/v1/subscriptions",
        {
          id: "sub-admin",
          tenantId: "admin-co",
          planKey: "payments-basic",
          addOns: ["payments-admin-addon"],
          externalKey: "stripe_sub_admin",
        },
        201,
      );
      await ok(
        "POST",
        "/v1/grants",
        {
          id: "refund-grant",
          tenantId: "granted-co",
          apiAccess: { api: "payments@1", scopes: ["refundPayment"] },
        },
        201,
      );
    });
    afterAll(async () => server?.close());

    it("answers a route by the tenant's entitled scopes: the reader role, plus admin from the add-on", async () => {
      expect(await check("reader-co", "GET", "/v1/payments")).toMatchObject({
        entitled: true,
        reason: "ENTITLED",
        source: { type: "route", key: "payments@1#getPayments" },
      });
      expect(await check("reader-co", "GET", "/v1/payments/p_1")).toMatchObject({ entitled: true });
      expect(await check("reader-co", "GET", "/v1/transactions")).toMatchObject({ entitled: true });
      expect(await check("reader-co", "POST", "/v1/payments")).toMatchObject({
        entitled: false,
        reason: "SCOPE_MISSING",
        remediation: { scopes: ["createPayment"] },
      });
      expect(await check("reader-co", "POST", "/v1/payments/p_1/refunds")).toMatchObject({
        entitled: false,
        reason: "SCOPE_MISSING",
      });
      // payments-admin includes payments-reader: the add-on tenant has all five.
      for (const [method, path] of [
        ["GET", "/v1/payments"],
        ["GET", "/v1/payments/p_1"],
        ["GET", "/v1/transactions"],
        ["POST", "/v1/payments"],
        ["POST", "/v1/payments/p_1/refunds"],
      ] as const) {
        expect(await check("admin-co", method, path), `${method} ${path}`).toMatchObject({ entitled: true });
      }
      // A grant confers access on its own, without any subscription.
      expect(await check("granted-co", "POST", "/v1/payments/p_1/refunds")).toMatchObject({ entitled: true });
      expect(await check("granted-co", "GET", "/v1/payments")).toMatchObject({ reason: "SCOPE_MISSING" });
      // Public operations are open to anyone; unknown routes are denied.
      expect(await check("reader-co", "GET", "/v1/health")).toMatchObject({ entitled: true });
      expect(await check("reader-co", "GET", "/v1/nowhere")).toMatchObject({ reason: "ROUTE_NOT_FOUND" });
      expect(await check("reader-co", "GET", "/payments")).toMatchObject({ reason: "ROUTE_NOT_FOUND" });
    });

    it("with the credential's scopes, needs them and the tenant's entitlement both", async () => {
      expect(await check("admin-co", "POST", "/v1/payments", ["createPayment"])).toMatchObject({
        entitled: true,
      });
      expect(await check("admin-co", "POST", "/v1/payments", ["getPayments"])).toMatchObject({
        entitled: false,
        reason: "SCOPE_MISSING",
        remediation: { scopes: ["createPayment"] },
      });
      // A token claiming a scope the tenant's plan does not give does not pass.
      expect(await check("reader-co", "POST", "/v1/payments", ["createPayment"])).toMatchObject({
        entitled: false,
        reason: "SCOPE_MISSING",
      });
      expect(
        await check("reader-co", "GET", "/v1/payments", ["getPayments", "listTransactions"]),
      ).toMatchObject({ entitled: true });
    });

    it("lists the API scopes a subscription confers", async () => {
      const admin = await ok("GET", "/v1/entitlements?subscriptionKey=stripe_sub_admin");
      expect(admin.apis).toEqual([
        {
          api: "payments@1",
          scopes: [
            "createPayment",
            "getLegacyReport",
            "getPaymentById",
            "getPayments",
            "listTransactions",
            "refundPayment",
          ],
        },
      ]);
      const reader = await ok("GET", "/v1/entitlements?subscriptionKey=sub-reader");
      expect(reader.apis).toEqual([
        {
          api: "payments@1",
          scopes: ["getLegacyReport", "getPaymentById", "getPayments", "listTransactions"],
        },
      ]);
    });

    it("keeps majors apart: v1's plans do not open v2, and v2 has its own scopes", async () => {
      const v2 = await ok("POST", "/v1/apis/import", {
        name: "payments",
        document: paymentsDocument("2.0.0", "/v2"),
        apply: true,
      });
      expect(v2).toMatchObject({
        applied: true,
        replaced: false,
        api: { key: "payments@2", basePath: "/v2" },
      });
      expect(v2.conflicts).toEqual([]);
      expect(await check("admin-co", "GET", "/v2/payments")).toMatchObject({
        entitled: false,
        reason: "SCOPE_MISSING",
        remediation: { scopes: ["getPayments"] },
      });
      // Even a credential naming the scope gets nothing from v2 without an entitlement to v2.
      expect(await check("admin-co", "GET", "/v2/payments", ["getPayments"])).toMatchObject({
        reason: "SCOPE_MISSING",
      });
      await ok(
        "POST",
        "/v1/grants",
        {
          id: "v2-grant",
          tenantId: "reader-co",
          apiAccess: { api: "payments@2", scopes: ["createPayment"] },
        },
        201,
      );
      expect(await check("reader-co", "POST", "/v2/payments")).toMatchObject({ entitled: true });
      expect(await check("reader-co", "POST", "/v1/payments")).toMatchObject({ reason: "SCOPE_MISSING" });
      // A scope of v2 granted on v1 is refused when written, not silently ignored.
      const wrong = await server.call("POST", "/v1/grants", {
        tenantId: "reader-co",
        apiAccess: { api: "payments@1", scopes: ["capturePayment"] },
      });
      expect(wrong.statusCode, wrong.body).toBe(400);
      expect(wrong.json().errors[0].pointer).toBe("/apiAccess/scopes/0");
    });

    it("previews a changed document: the diff, and the plans, roles and grants losing scopes", async () => {
      const before = await ok("GET", "/v1/apis/payments@1");
      const preview = await ok("POST", "/v1/apis/import", { name: "payments", document: paymentsV15 });
      expect(preview).toMatchObject({
        applied: false,
        replaced: true,
        api: { key: "payments@1", version: "1.5.0" },
      });
      expect(preview.revision).toBeUndefined();
      const { diff } = preview;
      expect(diff.added.map((o: { name: string }) => o.name)).toEqual(["capturePayment"]);
      expect(diff.removed.map((o: { name: string }) => o.name)).toEqual(["getLegacyReport"]);
      expect(diff.changed).toEqual([
        expect.objectContaining({
          name: "refundPayment",
          fields: ["alternatives"],
          scopesAdded: ["refunds:write"],
          scopesRemoved: ["refundPayment"],
        }),
      ]);
      expect(diff.scopesAdded.sort()).toEqual(["capturePayment", "refunds:write"]);
      expect(diff.scopesRemoved.sort()).toEqual(["getLegacyReport", "refundPayment"]);
      expect(preview.affected).toEqual({
        // By key, as the catalog lists them.
        plans: [
          { key: "payments-admin-addon", scopes: ["refundPayment"] },
          { key: "payments-basic", scopes: ["getLegacyReport"] },
        ],
        roles: [{ key: "payments-admin", scopes: ["refundPayment"] }],
        grants: [{ id: "refund-grant", tenantId: "granted-co", scopes: ["refundPayment"] }],
      });
      // Nothing was written: the stored API and the decisions are as they were.
      expect((await ok("GET", "/v1/apis/payments@1")).updatedAt).toBe(before.updatedAt);
      expect(await check("admin-co", "POST", "/v1/payments/p_1/refunds")).toMatchObject({ entitled: true });
    });

    it("applies it: grants on scopes that remain keep working, a scope that disappeared stops granting", async () => {
      const applied = await ok("POST", "/v1/apis/import", {
        name: "payments",
        document: paymentsV15,
        apply: true,
      });
      expect(applied).toMatchObject({ applied: true, replaced: true, api: { operationCount: 7 } });
      expect(applied.revision).toBeGreaterThan(0);
      expect(applied.diff.removed.map((o: { name: string }) => o.name)).toEqual(["getLegacyReport"]);

      // Kept: the reader role's scopes and the admin role's createPayment.
      expect(await check("reader-co", "GET", "/v1/payments/p_1")).toMatchObject({ entitled: true });
      expect(await check("admin-co", "POST", "/v1/payments")).toMatchObject({ entitled: true });
      // Gone: refunds now need refunds:write, which nobody was granted; refundPayment grants nothing.
      expect(await check("admin-co", "POST", "/v1/payments/p_1/refunds")).toMatchObject({
        entitled: false,
        reason: "SCOPE_MISSING",
        remediation: { scopes: ["refunds:write"] },
      });
      expect(await check("granted-co", "POST", "/v1/payments/p_1/refunds")).toMatchObject({
        reason: "SCOPE_MISSING",
      });
      expect(await check("admin-co", "GET", "/v1/legacy-report")).toMatchObject({
        reason: "ROUTE_NOT_FOUND",
      });
      expect(await check("admin-co", "POST", "/v1/payments/p_1/capture")).toMatchObject({
        reason: "SCOPE_MISSING",
      });
      const admin = await ok("GET", "/v1/entitlements?subscriptionKey=sub-admin");
      expect(admin.apis).toEqual([
        {
          api: "payments@1",
          scopes: ["createPayment", "getPaymentById", "getPayments", "listTransactions"],
        },
      ]);
      // v2 was not touched by re-importing v1.
      expect(await check("reader-co", "POST", "/v2/payments")).toMatchObject({ entitled: true });
    });

    it("serves the API and its operations, to a server key that only decides too", async () => {
      const created = await ok(
        "POST",
        "/v1/tokens",
        { name: "gateway", kind: "server", rights: ["decide"] },
        201,
      );
      const gateway = created.token as string;
      const api = await server.call("GET", "/v1/apis/payments@1", undefined, gateway);
      expect(api.statusCode, api.body).toBe(200);
      expect(api.json()).toMatchObject({ key: "payments@1", basePath: "/v1", majorVersion: 1 });
      const refund = api.json().operations.find((o: { name: string }) => o.name === "refundPayment");
      expect(refund).toMatchObject({
        method: "POST",
        path: "/payments/{paymentId}/refunds",
        alternatives: [["refunds:write"]],
        security: "scopes",
      });
      expect(api.json().scopes).toContainEqual({ name: "refunds:write", description: "May refunds:write" });
      const operations = await server.call("GET", "/v1/apis/payments@1/operations", undefined, gateway);
      expect(operations.json().items).toHaveLength(7);
      expect((await server.call("GET", "/v1/apis", undefined, gateway)).statusCode).toBe(200);
      // Reading is all it may do.
      const write = await server.call(
        "POST",
        "/v1/apis/import",
        { name: "x", document: paymentsV15 },
        gateway,
      );
      expect(write.statusCode).toBe(403);
      expect((await server.call("DELETE", "/v1/apis/payments@1", undefined, gateway)).statusCode).toBe(403);
      expect((await server.call("GET", "/v1/apis/payments@1", undefined, null)).statusCode).toBe(401);
    });

    it("refuses to delete an API while plans or grants use it, and deletes an unused one", async () => {
      const refused = await server.call("DELETE", "/v1/apis/payments@1");
      expect(refused.statusCode, refused.body).toBe(409);
      expect(refused.json()).toMatchObject({ code: "RESOURCE_IN_USE" });
      expect(refused.json().detail).toContain('plan "payments-basic"');
      // A role of scopes a plan names is in use too, and stays.
      const role = await server.call("DELETE", "/v1/roles/payments-admin");
      expect(role.statusCode, role.body).toBe(409);
      expect(role.json()).toMatchObject({ code: "RESOURCE_IN_USE" });
      expect(role.json().detail).toContain("plan ");
      expect((await server.call("GET", "/v1/roles/payments-admin")).statusCode).toBe(200);

      await ok("POST", "/v1/apis/import", {
        name: "scratch",
        majorVersion: 7,
        document: paymentsDocument("1.0.0", "/scratch"),
        apply: true,
      });
      expect((await ok("GET", "/v1/apis/scratch@7")).majorVersion).toBe(7);
      // Before, an application and its key naming the API were left behind, to come back with a re-import.
      const app = await ok(
        "POST",
        "/v1/applications",
        { tenantId: "reader-co", name: "s", api: "scratch@7" },
        201,
      );
      const key = await ok("POST", `/v1/applications/${app.id}/keys`, {}, 201);
      const inUse = await server.call("DELETE", "/v1/apis/scratch@7");
      expect(inUse.statusCode, inUse.body).toBe(409);
      expect(inUse.json().detail).toContain(`application "${app.id}"`);
      expect(inUse.json().detail).toContain(`API key "${key.id}"`);
      expect((await server.call("DELETE", `/v1/applications/${app.id}`)).statusCode).toBe(200);
      expect((await server.call("DELETE", "/v1/apis/scratch@7")).statusCode).toBe(204);
      expect((await server.call("GET", "/v1/apis/scratch@7")).statusCode).toBe(404);
      expect(await check("admin-co", "GET", "/scratch/payments")).toMatchObject({
        reason: "ROUTE_NOT_FOUND",
      });
      expect((await server.call("DELETE", "/v1/apis/scratch@7")).statusCode).toBe(404);
    });

    it("reports routes another API already answers for", async () => {
      const clash = await ok("POST", "/v1/apis/import", {
        name: "payments-clone",
        document: paymentsDocument("1.0.0", "/v1"),
      });
      expect(clash.conflicts).toContainEqual({
        operation: "getPayments",
        method: "GET",
        path: "/v1/payments",
        shadowedBy: "payments@1#getPayments",
      });
    });

    it("gives an audience to one API: another taking it, or its key, is a 409 and writes nothing", async () => {
      const importAs = (name: string, audience: string | undefined, apply = true) =>
        server.call("POST", "/v1/apis/import", {
          name,
          document: paymentsDocument("1.0.0", `/${name}`),
          ...(audience === undefined ? {} : { audience }),
          apply,
        });
      const first = await importAs("aud1", "https://shared.example");
      expect(first.statusCode, first.body).toBe(200);
      for (const apply of [true, false]) {
        const second = await importAs("aud2", "https://shared.example", apply);
        expect(second.statusCode, second.body).toBe(409);
        expect(second.headers["content-type"]).toContain("application/problem+json");
        expect(second.json()).toMatchObject({
          code: "DUPLICATE_KEY",
          errors: [{ pointer: "/audience", code: "DUPLICATE_KEY" }],
        });
        expect(second.json().detail).toContain('"aud1@1"');
      }
      expect((await server.call("GET", "/v1/apis/aud2@1")).statusCode).toBe(404);
      // Another API's key is its audience as well; and an API's key may not be another's audience.
      expect((await importAs("aud3", "payments@1")).json()).toMatchObject({ code: "DUPLICATE_KEY" });
      expect((await importAs("aud4", "aud5@1")).statusCode).toBe(200);
      const named = await importAs("aud5", undefined);
      expect(named.statusCode).toBe(409);
      expect(named.json().errors[0].pointer).toBe("/key");
      // Its own audience, or its own key, stays its to keep.
      expect((await importAs("aud1", "https://shared.example")).statusCode).toBe(200);
      expect((await importAs("aud1", "aud1@1")).statusCode).toBe(200);
      // Any other write that sets an audience is held to the same.
      const { createdAt: _c, updatedAt: _u, environment: _e, ...aud4 } = await ok("GET", "/v1/apis/aud4@1");
      await expect(
        server.tessera.services.catalog.update(server.environmentId, "test", "api", "aud4@1", {
          ...aud4,
          audience: "aud1@1",
        }),
      ).rejects.toMatchObject({ code: "DUPLICATE_KEY" });
      expect((await ok("GET", "/v1/apis/aud4@1")).audience).toBe("aud5@1");
      for (const key of ["aud1@1", "aud4@1"])
        expect((await server.call("DELETE", `/v1/apis/${key}`)).statusCode).toBe(204);
    });

    it("refuses what is not an importable description with a 4xx naming the problem", async () => {
      const problem = async (body: unknown, status: number, code: string) => {
        const response = await server.call("POST", "/v1/apis/import", body);
        expect(response.statusCode, response.body).toBe(status);
        expect(response.headers["content-type"]).toContain("application/problem+json");
        expect(response.json().code).toBe(code);
        return response.json();
      };
      const notApi = await problem({ name: "x", document: { hello: "world" } }, 422, "INVALID_API_DOCUMENT");
      expect(notApi.errors[0].pointer).toBe("/document");
      const badVersion = await problem(
        { name: "x", document: { openapi: "4.0.0", info: { title: "x", version: "1" }, paths: {} } },
        422,
        "INVALID_API_DOCUMENT",
      );
      expect(badVersion.errors[0].pointer).toBe("/document/openapi");
      await problem({ name: "x", document: "openapi: [unclosed" }, 422, "INVALID_API_DOCUMENT");
      await problem({ name: "x", document: "" }, 400, "VALIDATION_FAILED");
      const external = await problem(
        {
          name: "x",
          document: {
            openapi: "3.0.0",
            info: { title: "x", version: "1" },
            paths: { "/a": { $ref: "https://example.com/paths.yaml#/a" } },
          },
        },
        422,
        "INVALID_API_DOCUMENT",
      );
      expect(external.detail).toContain("External reference");
      await problem({ document: paymentsV15 }, 400, "VALIDATION_FAILED");
      await problem({ name: "has space", document: paymentsV15 }, 400, "VALIDATION_FAILED");
      await problem({ name: "x", document: paymentsV15, majorVersion: "2" }, 400, "VALIDATION_FAILED");
      await problem({ name: "x", document: paymentsV15, extra: true }, 400, "VALIDATION_FAILED");
      expect((await server.call("GET", "/v1/apis/x@1")).statusCode).toBe(404);
    });

    it("accepts documents far above the server's body limit, and refuses past its own", async () => {
      // The test server's limit is 64 KiB; a padded description of ~2 MB still imports.
      const padded = paymentsDocument("1.0.0", "/padded", (paths) => {
        paths["/health"]!.get!.description = "x".repeat(2_000_000);
      });
      const imported = await server.call("POST", "/v1/apis/import", { name: "padded", document: padded });
      expect(imported.statusCode, imported.body.slice(0, 300)).toBe(200);
      const huge = await server.call("POST", "/v1/apis/import", {
        name: "huge",
        document: "x".repeat(11_000_000),
      });
      expect(huge.statusCode).toBe(413);
      expect(huge.json().code).toBe("PAYLOAD_TOO_LARGE");
      // Other routes keep the server's limit.
      const feature = await server.call("POST", "/v1/features", {
        key: "big",
        name: "x".repeat(100_000),
        type: "boolean",
      });
      expect(feature.statusCode).toBe(413);
    });
  });
}
