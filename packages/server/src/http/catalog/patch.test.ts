import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../../testing/backends";
import { startTestServer, type TestServer } from "../../testing/server";

for (const backend of testBackends()) {
  describe(`PATCH on ${backend.name}: the fields the body names, and no others`, () => {
    let server: TestServer;
    const check = async (body: object) => (await server.call("POST", "/v1/check", body)).json();

    beforeAll(async () => {
      server = await startTestServer(backend);
      await server.call("POST", "/v1/features", { key: "reports", name: "Reports", type: "boolean" });
      await server.call("POST", "/v1/permissions", { key: "reports.read" });
      await server.call("POST", "/v1/roles", {
        key: "viewer",
        name: "Viewer",
        permissions: ["reports.read"],
      });
      await server.call("POST", "/v1/plans", { key: "team", name: "Team", features: { reports: true } });
      await server.call("POST", "/v1/plans", {
        key: "extra",
        name: "Extra",
        kind: "addon",
        features: { reports: true },
      });
      await server.call("POST", "/v1/flags", { key: "beta", name: "Beta", enabled: false, default: true });
      await server.call("POST", "/v1/tenants", { id: "acme" });
      await server.call("POST", "/v1/users", { id: "anne" });
      await server.call("PUT", "/v1/tenants/acme/members/anne", { roles: ["viewer"] });
      await server.call("POST", "/v1/subscriptions", {
        tenantId: "acme",
        planKey: "team",
        addOns: ["extra"],
      });
    });
    afterAll(async () => server?.close());

    it("leaves a field with a default alone when the body does not name it", async () => {
      // Each of these reset a field to its create default before: features {}, kind base, permissions [],
      // enabled true and default false.
      const plan = await server.call("PATCH", "/v1/plans/team", { description: "New copy" });
      expect(plan.statusCode, plan.body).toBe(200);
      expect(plan.json()).toMatchObject({
        description: "New copy",
        kind: "base",
        features: { reports: true },
      });
      const addOn = await server.call("PATCH", "/v1/plans/extra", { name: "Extra seats" });
      expect(addOn.statusCode, addOn.body).toBe(200);
      expect(addOn.json()).toMatchObject({ kind: "addon", features: { reports: true } });
      const role = await server.call("PATCH", "/v1/roles/viewer", { name: "Viewers" });
      expect(role.json()).toMatchObject({ name: "Viewers", permissions: ["reports.read"] });
      const flag = await server.call("PATCH", "/v1/flags/beta", { name: "Beta 2" });
      expect(flag.json()).toMatchObject({ name: "Beta 2", enabled: false, default: true });

      expect((await server.call("GET", "/v1/flags/beta")).json()).toMatchObject({
        enabled: false,
        default: true,
      });
      expect(await check({ subject: { tenantId: "acme" }, feature: "reports" })).toMatchObject({
        entitled: true,
      });
      expect(
        await check({ subject: { tenantId: "acme", userId: "anne" }, permission: "reports.read" }),
      ).toMatchObject({ entitled: true });
    });

    it("still replaces a field the body names, whole", async () => {
      const plan = await server.call("PATCH", "/v1/plans/team", { features: {} });
      expect(plan.json().features).toEqual({});
      expect(await check({ subject: { tenantId: "acme" }, feature: "reports" })).toMatchObject({
        entitled: true,
        source: { type: "addon", key: "extra" },
      });
      await server.call("PATCH", "/v1/plans/team", { features: { reports: true } });
    });
  });
}
