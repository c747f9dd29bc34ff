import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../../testing/backends";
import { startTestServer, type TestServer } from "../../testing/server";

for (const backend of testBackends()) {
  describe(`an archived plan on ${backend.name}: closed to new subscriptions, kept by those on it`, () => {
    let server: TestServer;
    const seats = async (tenantId: string) =>
      (await server.call("POST", "/v1/check", { subject: { tenantId }, feature: "seats" })).json();

    beforeAll(async () => {
      server = await startTestServer(backend);
      await server.call("POST", "/v1/features", { key: "seats", name: "Seats", type: "limit" });
      await server.call("POST", "/v1/plans", { key: "legacy", name: "Legacy", features: { seats: 50 } });
      await server.call("POST", "/v1/plans", { key: "basic", name: "Basic", features: { seats: 5 } });
      await server.call("POST", "/v1/plans", {
        key: "old-seats",
        name: "Old seats",
        kind: "addon",
        features: { seats: 100 },
      });
      for (const id of ["early", "late"]) await server.call("POST", "/v1/tenants", { id });
      const subscribed = await server.call("POST", "/v1/subscriptions", {
        id: "sub-early",
        tenantId: "early",
        planKey: "legacy",
        addOns: ["old-seats"],
      });
      expect(subscribed.statusCode, subscribed.body).toBe(201);
      for (const key of ["legacy", "old-seats"]) {
        const archived = await server.call("PATCH", `/v1/plans/${key}`, { archived: true });
        expect(archived.statusCode, archived.body).toBe(200);
      }
    });
    afterAll(async () => server?.close());

    it("keeps granting to the subscriptions already on it, base plan and add-on", async () => {
      // Before, archiving took both away from every tenant on them at once.
      expect(await seats("early")).toMatchObject({ entitled: true, value: 150 });
      const kept = await server.call("PATCH", "/v1/subscriptions/sub-early", { status: "past_due" });
      expect(kept.statusCode, kept.body).toBe(200);
      expect(await seats("early")).toMatchObject({ entitled: true, value: 150 });
    });

    it("refuses it to a new subscription, as a base plan or as an add-on, and leaves it out of remediation", async () => {
      const base = await server.call("POST", "/v1/subscriptions", { tenantId: "late", planKey: "legacy" });
      expect(base.statusCode, base.body).toBe(400);
      expect(base.json().errors[0].pointer).toBe("/planKey");
      const addOn = await server.call("POST", "/v1/subscriptions", {
        tenantId: "late",
        planKey: "basic",
        addOns: ["old-seats"],
      });
      expect(addOn.statusCode, addOn.body).toBe(400);
      expect(addOn.json().errors[0].pointer).toBe("/addOns/0");
      expect((await server.call("GET", "/v1/subscriptions?tenantId=late")).json().items).toEqual([]);
      expect((await seats("late")).remediation).toEqual({ plans: ["basic"] });
    });
  });
}
