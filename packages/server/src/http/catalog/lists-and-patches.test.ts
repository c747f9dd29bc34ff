import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../../testing/backends";
import { startTestServer, type TestServer } from "../../testing/server";

/** Found by exploratory testing of the management API; each of these failed before its fix. */
for (const backend of testBackends()) {
  describe(`management lists and patches on ${backend.name}`, () => {
    let server: TestServer;
    const ok = async (method: string, url: string, body?: unknown) => {
      const response = await server.call(method, url, body);
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
      return response.statusCode === 204 ? undefined : response.json();
    };

    beforeAll(async () => {
      server = await startTestServer(backend);
      await ok("POST", "/v1/features", { key: "calls", name: "Calls", type: "limit" });
      await ok("POST", "/v1/plans", { key: "basic", name: "Basic", features: { calls: 5 } });
      await ok("POST", "/v1/plans", { key: "boost", name: "Boost", kind: "addon", features: { calls: 10 } });
      await ok("POST", "/v1/tenants", { id: "acme" });
    });
    afterAll(async () => server?.close());

    it("a PATCH that names an add-on twice stacks it once, as a create does", async () => {
      await ok("POST", "/v1/subscriptions", { id: "sa", tenantId: "acme", planKey: "basic" });
      const patched = await ok("PATCH", "/v1/subscriptions/sa", { addOns: ["boost", "boost"] });
      expect(patched.addOns).toEqual(["boost"]);
      const d = await ok("POST", "/v1/check", {
        subject: { tenantId: "acme" },
        feature: "calls",
        requestedUsage: 20,
      });
      expect(d).toMatchObject({ entitled: false, reason: "USAGE_LIMIT_EXCEEDED", limit: 15 });
      await ok("POST", "/v1/permissions", { key: "p1" });
      await ok("POST", "/v1/roles", { key: "r1", name: "R1" });
      expect((await ok("PATCH", "/v1/roles/r1", { permissions: ["p1", "p1"] })).permissions).toEqual(["p1"]);
    });

    it("deletes a feature whose key is an Object.prototype name, which every plan seemed to use", async () => {
      await ok("POST", "/v1/features", { key: "toString", name: "x", type: "boolean" });
      expect((await server.call("DELETE", "/v1/features/toString")).statusCode).toBe(204);
    });

    it("refuses a filter a list does not have, rather than ignore it or match nothing", async () => {
      // First a tenantId on a list of features or tenants matched nothing (they have no tenantId); then it was
      // ignored, and a "users of this tenant" screen listed every tenant's users. A filter the list does not
      // take is a mistake to report.
      for (const url of ["/v1/tenants?tenantId=acme", "/v1/users?tenantId=acme", "/v1/features?region=eu"]) {
        const response = await server.call("GET", url);
        expect(response.statusCode, url).toBe(400);
        expect(response.json(), url).toMatchObject({ code: "VALIDATION_FAILED" });
      }
      // Where the list has the filter, it filters.
      expect((await ok("GET", "/v1/subscriptions?tenantId=nobody")).items).toEqual([]);
      expect((await ok("GET", "/v1/users?limit=5")).items).toBeInstanceOf(Array);
    });

    it("refuses a cursor from another list, or from the same list with another filter", async () => {
      await ok("POST", "/v1/tenants", { id: "zeta" });
      await ok("POST", "/v1/features", { key: "zz", name: "Zz", type: "boolean" });
      const features = await ok("GET", "/v1/features?limit=1");
      expect(features.nextCursor).toBeDefined();
      // Before, the tenants list took it and silently skipped every tenant before its id.
      const crossed = await server.call("GET", `/v1/tenants?cursor=${features.nextCursor}`);
      expect(crossed.statusCode, crossed.body).toBe(400);
      expect(crossed.json().code).toBe("INVALID_CURSOR");
      const page = await ok("GET", "/v1/tenants?limit=1");
      expect((await ok("GET", `/v1/tenants?limit=1&cursor=${page.nextCursor}`)).items).toHaveLength(1);
      await ok("POST", "/v1/subscriptions", { id: "sz1", tenantId: "zeta", planKey: "basic" });
      await ok("POST", "/v1/subscriptions", { id: "sz2", tenantId: "zeta", planKey: "basic" });
      const filtered = await ok("GET", "/v1/subscriptions?tenantId=zeta&limit=1");
      const other = await server.call("GET", `/v1/subscriptions?tenantId=acme&cursor=${filtered.nextCursor}`);
      expect(other.json().code).toBe("INVALID_CURSOR");
      expect(
        (await ok("GET", `/v1/subscriptions?tenantId=zeta&cursor=${filtered.nextCursor}`)).items,
      ).toHaveLength(1);
    });

    it("keeps a tenant whose applications still work, until they are revoked", async () => {
      await ok("POST", "/v1/tenants", { id: "dang" });
      const app = await ok("POST", "/v1/applications", { tenantId: "dang", name: "app" });
      // Before, the delete answered 204 and the application outlived its tenant: a new tenant given the
      // id inherited it, credentials and all.
      const refused = await server.call("DELETE", "/v1/tenants/dang");
      expect(refused.statusCode, refused.body).toBe(409);
      expect(refused.json().code).toBe("RESOURCE_IN_USE");
      expect(refused.json().detail).toContain(app.id);
      await ok("DELETE", `/v1/applications/${app.id}`);
      expect((await server.call("DELETE", "/v1/tenants/dang")).statusCode).toBe(204);
    });

    it("a flag's bucketBy goes back to the default with null", async () => {
      await ok("POST", "/v1/flags", { key: "by-user", name: "By user", rollout: 50, bucketBy: "user" });
      // Before, null was a 400: once set, bucketBy could not be cleared.
      const cleared = await ok("PATCH", "/v1/flags/by-user", { bucketBy: null });
      expect(cleared.bucketBy ?? null).toBeNull();
    });

    it("gives the subject's own decision in a lookup an id, as every decision has", async () => {
      const unknown = await ok("POST", "/v1/lookup", { subject: { tenantId: "nobody" } });
      expect(unknown.subject).toMatchObject({ reason: "TENANT_NOT_FOUND", decisionId: expect.any(String) });
    });

    it("lists every change of a revision that holds more than a page", async () => {
      await ok("POST", "/v1/tenants", { id: "big" });
      for (let i = 0; i < 4; i++)
        await ok("POST", "/v1/subscriptions", { id: `sb${i}`, tenantId: "big", planKey: "basic" });
      const before = (await ok("GET", "/v1/changes?limit=1000")).items.at(-1).revision;
      await ok("DELETE", "/v1/tenants/big"); // one revision: four subscriptions and the tenant
      const seen: string[] = [];
      let after = before;
      for (;;) {
        const page = await ok("GET", `/v1/changes?afterRevision=${after}&limit=2`);
        seen.push(
          ...page.items.map((c: { kind: string; resourceId: string }) => `${c.kind}:${c.resourceId}`),
        );
        if (page.nextAfterRevision === undefined) break;
        after = page.nextAfterRevision;
      }
      // Before, the page held the first three and the next began after the revision: two were never listed.
      expect(seen.sort()).toEqual([
        "subscription:sb0",
        "subscription:sb1",
        "subscription:sb2",
        "subscription:sb3",
        "tenant:big",
      ]);
    });
  });
}
