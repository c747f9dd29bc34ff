import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../testing/backends";
import { startTestServer, type TestServer } from "../testing/server";

/**
 * A subscription stored with a time Date.parse cannot read (by hand, or by a version that still accepted a
 * leap second): the API refuses such times now, but a row already in the database must not take its
 * environment down, nor grant by accident, and correcting it through the API must work.
 */
for (const backend of testBackends()) {
  describe(`a stored time that cannot be read, on ${backend.name}`, () => {
    let server: TestServer;
    const warnings: string[] = [];
    const listener = (warning: Error) => warnings.push(warning.message);

    beforeAll(async () => {
      server = await startTestServer(backend);
      await server.call("POST", "/v1/features", { key: "sso", name: "SSO", type: "boolean" });
      await server.call("POST", "/v1/plans", { key: "pro", name: "Pro", features: { sso: true } });
      await server.call("POST", "/v1/tenants", { id: "acme" });
      await server.call("POST", "/v1/tenants", { id: "globex" });
      await server.call("POST", "/v1/subscriptions", { id: "sub_ok", tenantId: "globex", planKey: "pro" });
      process.on("warning", listener);
      // Written around the API, as another process would: the server reads it from the change log (on
      // PostgreSQL, where it follows other servers), or sees a gap in revisions at its next write and reloads
      // the environment from the database.
      await server.tessera.store.write(server.environmentId, "by hand", async (tx) => {
        await tx.create("subscription", "sub_bad", {
          id: "sub_bad",
          tenantId: "acme",
          planKey: "pro",
          status: "active",
          startAt: "2026-01-01T00:00:00Z",
          endAt: "2030-06-30T23:59:60Z",
        });
        return undefined;
      });
      const write = await server.call("POST", "/v1/tenants", { id: "initech" });
      expect(write.statusCode, write.body).toBe(201);
    });
    afterAll(async () => {
      process.off("warning", listener);
      await server?.close();
    });

    const check = async (tenantId: string) =>
      (await server.call("POST", "/v1/check", { subject: { tenantId }, feature: "sso" })).json();

    it("loads the environment: the record grants nothing, the others answer as before", async () => {
      expect(await check("acme")).toMatchObject({ entitled: false, reason: "NO_ACTIVE_SUBSCRIPTION" });
      expect(await check("globex")).toMatchObject({ entitled: true, reason: "ENTITLED" });
      const listed = await server.call("GET", "/v1/entitlements?subscriptionKey=sub_bad");
      expect(listed.json().subscription).toMatchObject({ id: "sub_bad", active: false });
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toContainEqual(
        expect.stringContaining(
          'subscription "sub_bad" of tenant "acme": unreadable endAt "2030-06-30T23:59:60Z"',
        ),
      );
    });

    it("is corrected through the API, and grants again in the next decision", async () => {
      const fixed = await server.call("PATCH", "/v1/subscriptions/sub_bad", {
        endAt: "2030-07-01T00:00:00Z",
      });
      expect(fixed.statusCode, fixed.body).toBe(200);
      expect(await check("acme")).toMatchObject({ entitled: true, reason: "ENTITLED" });
    });
  });
}
