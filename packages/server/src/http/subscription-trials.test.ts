import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../testing/backends";
import { startTestServer, type TestServer } from "../testing/server";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

for (const backend of testBackends()) {
  describe(`subscription trials on ${backend.name}: a trial never ends by its start`, () => {
    let server: TestServer;
    const changeCount = async () => (await server.call("GET", "/v1/changes?limit=1000")).json().items.length;
    /** A trialing subscription of acme on pro, starting now: its trial end derived from the plan's days. */
    const trialFromNow = async (id: string) => {
      const created = await server.call("POST", "/v1/subscriptions", {
        id,
        tenantId: "acme",
        planKey: "pro",
        status: "trialing",
        startAt: iso(now),
      });
      expect(created.statusCode, created.body).toBe(201);
      return created.json();
    };
    const now = Date.now();

    beforeAll(async () => {
      server = await startTestServer(backend);
      await server.call("POST", "/v1/features", { key: "sso", name: "SSO", type: "boolean" });
      await server.call("POST", "/v1/plans", {
        key: "pro",
        name: "Pro",
        features: { sso: true },
        trialDays: 14,
      });
      await server.call("POST", "/v1/tenants", { id: "acme" });
    });
    afterAll(async () => server?.close());

    function expectTrialEndRefused(response: Awaited<ReturnType<TestServer["call"]>>) {
      expect(response.statusCode, response.body).toBe(400);
      expect(response.headers["content-type"]).toContain("application/problem+json");
      const body = response.json();
      expect(body.code).toBe("VALIDATION_FAILED");
      expect(body.errors).toEqual([
        expect.objectContaining({ pointer: "/trialEndAt", code: "VALIDATION_FAILED" }),
      ]);
      return body;
    }

    const entitledAt = async (at: number) =>
      (
        await server.call("POST", "/v1/check", { subject: { tenantId: "acme" }, feature: "sso", at: iso(at) })
      ).json();

    it("a create whose trial ends at or before its start is refused, and nothing is written", async () => {
      const before = await changeCount();
      for (const trialEndAt of [iso(now - DAY), iso(now)]) {
        expectTrialEndRefused(
          await server.call("POST", "/v1/subscriptions", {
            id: "sub_early",
            tenantId: "acme",
            planKey: "pro",
            status: "trialing",
            startAt: iso(now),
            trialEndAt,
          }),
        );
      }
      expect((await server.call("GET", "/v1/subscriptions/sub_early")).statusCode).toBe(404);
      expect(await changeCount()).toBe(before);
    });

    it("an update that sets a trial end at or before the start is refused, and nothing is written", async () => {
      const stored = await trialFromNow("sub_upd");
      expect(stored.trialEndAt).toBe(iso(now + 14 * DAY));
      const before = await changeCount();
      expectTrialEndRefused(
        await server.call("PATCH", "/v1/subscriptions/sub_upd", { trialEndAt: iso(now - DAY) }),
      );
      // Both moved, the trial still ending by the start.
      expectTrialEndRefused(
        await server.call("PATCH", "/v1/subscriptions/sub_upd", {
          startAt: iso(now + 30 * DAY),
          trialEndAt: iso(now + 20 * DAY),
        }),
      );
      expect(await changeCount()).toBe(before);
      expect((await server.call("GET", "/v1/subscriptions/sub_upd")).json()).toEqual(stored);
      await server.call("DELETE", "/v1/subscriptions/sub_upd");
    });

    it("moving a trial's start without saying where its end goes is refused; saying so moves it", async () => {
      const stored = await trialFromNow("sub_moved");
      const before = await changeCount();
      const later = now + 30 * DAY;

      // Before the fix: 200, the trial ending 16 days before the subscription starts.
      const refused = expectTrialEndRefused(
        await server.call("PATCH", "/v1/subscriptions/sub_moved", { startAt: iso(later) }),
      );
      expect(refused.detail).toContain("give trialEndAt too");
      expect(await changeCount()).toBe(before);
      expect((await server.call("GET", "/v1/subscriptions/sub_moved")).json()).toEqual(stored);

      // null: the plan's 14 days from the new start.
      const moved = await server.call("PATCH", "/v1/subscriptions/sub_moved", {
        startAt: iso(later),
        trialEndAt: null,
      });
      expect(moved.statusCode, moved.body).toBe(200);
      expect(moved.json()).toMatchObject({ startAt: iso(later), trialEndAt: iso(later + 14 * DAY) });
      expect(await entitledAt(later + DAY)).toMatchObject({ entitled: true });
      expect(await entitledAt(later + 15 * DAY)).toMatchObject({
        entitled: false,
        reason: "NO_ACTIVE_SUBSCRIPTION",
      });

      // Or an end of the caller's own.
      const own = await server.call("PATCH", "/v1/subscriptions/sub_moved", {
        startAt: iso(later + DAY),
        trialEndAt: iso(later + 3 * DAY),
      });
      expect(own.statusCode, own.body).toBe(200);
      expect(await entitledAt(later + 2 * DAY)).toMatchObject({ entitled: true });

      // A subscription that is no longer trialing moves freely.
      const active = await server.call("PATCH", "/v1/subscriptions/sub_moved", { status: "active" });
      expect(active.statusCode, active.body).toBe(200);
      const startMoved = await server.call("PATCH", "/v1/subscriptions/sub_moved", { startAt: iso(later) });
      expect(startMoved.statusCode, startMoved.body).toBe(200);
    });
  });
}
