import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Store } from "../../storage/store";
import { testBackends } from "../../testing/backends";
import { createPaymentsApi } from "../../testing/credentials";
import { startTestServer, type TestServer } from "../../testing/server";

/**
 * A rotated-out key stays on its way out (its expiry is neither removed nor moved later), and the lists of
 * applications and of an application's keys take only the cursors they issued and the parameters they have.
 */
for (const backend of testBackends()) {
  describe(`replaced keys and credential lists on ${backend.name}`, () => {
    let server: TestServer;
    const apps: Record<string, string[]> = { acme: [], globex: [] };

    type Response = Awaited<ReturnType<TestServer["call"]>>;
    function expectProblem(response: Response, status: number, code: string) {
      expect(response.statusCode, response.body).toBe(status);
      expect(response.headers["content-type"]).toContain("application/problem+json");
      const body = response.json();
      expect(body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String) });
      expect(Array.isArray(body.errors)).toBe(true);
      return body;
    }
    const ok = async (method: string, url: string, body?: unknown) => {
      const r = await server.call(method, url, body);
      expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(300);
      return r.json();
    };
    const verify = async (key: string) => (await ok("POST", "/v1/keys/verify", { key })).code as string;
    const newKey = async (appId: string) =>
      (await ok("POST", `/v1/applications/${appId}/keys`, { api: "payments@1" })) as {
        id: string;
        key: string;
      };
    const rotate = async (appId: string, keyId: string, gracePeriodSeconds: number) =>
      (await ok("POST", `/v1/applications/${appId}/keys/${keyId}/rotate`, { gracePeriodSeconds })) as {
        id: string;
        key: string;
        previous: { id: string; expiresAt: string; replacedBy: string };
      };
    const patchKey = (appId: string, keyId: string, body: Record<string, unknown>) =>
      server.call("PATCH", `/v1/applications/${appId}/keys/${keyId}`, body);
    /** Every page of a list, following the cursors it returns. */
    const allPages = async (url: string) => {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const separator = url.includes("?") ? "&" : "?";
        const page = await ok("GET", `${url}${separator}limit=1${cursor ? `&cursor=${cursor}` : ""}`);
        expect(page.items.length).toBeLessThanOrEqual(1);
        ids.push(...page.items.map((item: { id: string }) => item.id));
        cursor = page.nextCursor;
      } while (cursor);
      return ids;
    };

    beforeAll(async () => {
      server = await startTestServer(backend);
      await createPaymentsApi(server);
      await ok("POST", "/v1/plans", {
        key: "pro",
        name: "Pro",
        features: {},
        apiAccess: [{ api: "payments@1", scopes: ["payments:read"] }],
      });
      for (const tenantId of Object.keys(apps)) {
        await ok("POST", "/v1/tenants", { id: tenantId });
        await ok("POST", "/v1/subscriptions", { id: `s-${tenantId}`, tenantId, planKey: "pro" });
      }
      for (const tenantId of ["acme", "acme", "acme", "globex", "globex"]) {
        apps[tenantId]!.push((await ok("POST", "/v1/applications", { tenantId, name: "app" })).id);
      }
    });
    afterAll(async () => server?.close());

    describe("a replaced key", () => {
      it("keeps the expiry its rotation gave it: it is not removed or moved later", async () => {
        const appId = apps.acme![0]!;
        const old = await newKey(appId);
        const next = await rotate(appId, old.id, 0);
        expect(await verify(old.key)).toBe("EXPIRED");

        // Before, this answered 200 and the old key verified VALID again, forever, beside its replacement.
        const removed = expectProblem(
          await patchKey(appId, old.id, { expiresAt: null }),
          422,
          "INVALID_STATE",
        );
        expect(removed.detail).toContain(`replaced by "${next.id}"`);
        expect(removed.errors).toEqual([expect.objectContaining({ pointer: "/expiresAt" })]);
        const later = await patchKey(appId, old.id, { expiresAt: "2099-01-01T00:00:00Z" });
        expect(expectProblem(later, 422, "INVALID_STATE").detail).toContain(next.id);

        expect(await verify(old.key)).toBe("EXPIRED");
        expect(await verify(next.key)).toBe("VALID");
        const stored = await ok("GET", `/v1/applications/${appId}/keys/${old.id}`);
        expect(stored).toMatchObject({ replacedBy: next.id, expiresAt: next.previous.expiresAt });
      });

      it("may end its grace period sooner, and change nothing else (as a revoked key changes nothing)", async () => {
        const appId = apps.acme![0]!;
        const old = await newKey(appId);
        const next = await rotate(appId, old.id, 600);
        const graceEnd = next.previous.expiresAt;
        expect(await verify(old.key)).toBe("VALID");

        const extended = new Date(Date.parse(graceEnd) + 60_000).toISOString();
        expectProblem(await patchKey(appId, old.id, { expiresAt: extended }), 422, "INVALID_STATE");
        const renamed = expectProblem(await patchKey(appId, old.id, { name: "x" }), 422, "INVALID_STATE");
        expect(renamed.errors).toEqual([expect.objectContaining({ pointer: "/name" })]);
        const now = new Date(Date.now() - 1000).toISOString();
        const mixed = await patchKey(appId, old.id, { expiresAt: now, metadata: { a: 1 } });
        expectProblem(mixed, 422, "INVALID_STATE");
        expect(await verify(old.key)).toBe("VALID");
        const unchanged = await ok("GET", `/v1/applications/${appId}/keys/${old.id}`);
        expect(unchanged).toMatchObject({ name: null, metadata: {}, expiresAt: graceEnd });

        // The same expiry again (a retried request) is taken; an earlier one ends the grace period.
        expect((await patchKey(appId, old.id, { expiresAt: graceEnd })).statusCode).toBe(200);
        const ended = await patchKey(appId, old.id, { expiresAt: now });
        expect(ended.statusCode, ended.body).toBe(200);
        expect(Date.parse(ended.json().expiresAt)).toBe(Date.parse(now));
        expect(await verify(old.key)).toBe("EXPIRED");
        expect(await verify(next.key)).toBe("VALID");
      });

      it("is refused an expiry removal when its rotation commits just before the PATCH's transaction", async () => {
        const appId = apps.acme![0]!;
        const old = await newKey(appId);
        let replacement = "";
        const store = server.tessera.store;
        const write = store.write.bind(store);
        // The rotation runs after the PATCH's checks outside its transaction, before those inside it.
        const spy = vi.spyOn(store, "write").mockImplementationOnce((async (environmentId, actor, work) => {
          spy.mockRestore();
          replacement = (await server.tessera.services.apiKeys.rotate(environmentId, "x", appId, old.id, 0))
            .apiKey.id;
          return write(environmentId, actor, work);
        }) as Store["write"]);
        const r = await patchKey(appId, old.id, { expiresAt: null });
        expect(expectProblem(r, 422, "INVALID_STATE").detail).toContain(replacement);
        expect(await verify(old.key)).toBe("EXPIRED");
        const changes = await store.listChanges(server.environmentId, {
          kind: "apiKey",
          resourceId: old.id,
          limit: 1000,
        });
        // The rotation is the key's last change: the PATCH wrote nothing after it.
        expect(changes.at(-1)!.actor).toBe("x");
      });
    });

    describe("the application and key lists", () => {
      it("page with the cursors they issue, and answer any other with 400 INVALID_CURSOR", async () => {
        const all = (await ok("GET", "/v1/applications?limit=1000")).items.map((a: { id: string }) => a.id);
        expect(all.length).toBeGreaterThanOrEqual(5);
        expect(await allPages("/v1/applications")).toEqual(all);
        expect(await allPages("/v1/applications?tenantId=acme")).toEqual([...apps.acme!].sort());
        const [appA, appB] = apps.globex as [string, string];
        for (const appId of [appA, appA, appA, appB, appB]) await newKey(appId);
        const keys = (await ok("GET", `/v1/applications/${appA}/keys?limit=1000`)).items.map(
          (k: { id: string }) => k.id,
        );
        expect(keys).toHaveLength(3);
        expect(await allPages(`/v1/applications/${appA}/keys`)).toEqual(keys);

        expectProblem(await server.call("GET", "/v1/applications?cursor=zzz"), 400, "INVALID_CURSOR");
        expectProblem(
          await server.call("GET", `/v1/applications/${appA}/keys?cursor=zzz`),
          400,
          "INVALID_CURSOR",
        );
        // The raw last id, as these cursors were before: no longer taken.
        expectProblem(await server.call("GET", `/v1/applications?cursor=${appA}`), 400, "INVALID_CURSOR");

        const unfiltered = (await ok("GET", "/v1/applications?limit=1")).nextCursor as string;
        const acme = (await ok("GET", "/v1/applications?tenantId=acme&limit=1")).nextCursor as string;
        const keysOfA = (await ok("GET", `/v1/applications/${appA}/keys?limit=1`)).nextCursor as string;
        const keysOfB = (await ok("GET", `/v1/applications/${appB}/keys?limit=1`)).nextCursor as string;
        expect([unfiltered, acme, keysOfA, keysOfB].every((c) => typeof c === "string")).toBe(true);

        // Each is taken by its own list and refused by every other: another filter, another application,
        // another kind of list.
        const refused: [string, string][] = [
          ["/v1/applications?tenantId=globex", acme],
          ["/v1/applications", acme],
          ["/v1/applications?tenantId=acme", unfiltered],
          ["/v1/applications", keysOfA],
          [`/v1/applications/${appB}/keys`, keysOfA],
          [`/v1/applications/${appA}/keys`, keysOfB],
          [`/v1/applications/${appA}/keys`, unfiltered],
          ["/v1/tenants", unfiltered],
        ];
        for (const [url, cursor] of refused) {
          const separator = url.includes("?") ? "&" : "?";
          expectProblem(
            await server.call("GET", `${url}${separator}cursor=${cursor}`),
            400,
            "INVALID_CURSOR",
          );
        }
        const tenants = (await ok("GET", "/v1/tenants?limit=1")).nextCursor as string;
        expectProblem(await server.call("GET", `/v1/applications?cursor=${tenants}`), 400, "INVALID_CURSOR");
        expectProblem(
          await server.call("GET", `/v1/applications/${appA}/keys?cursor=${tenants}`),
          400,
          "INVALID_CURSOR",
        );
        expect((await ok("GET", `/v1/applications?tenantId=acme&cursor=${acme}`)).items.length).toBe(2);
        expect((await ok("GET", `/v1/applications/${appB}/keys?cursor=${keysOfB}`)).items.length).toBe(1);
      });

      it("refuse a parameter they do not have with 400", async () => {
        const appId = apps.acme![0]!;
        for (const url of [
          "/v1/applications?bogus=1",
          "/v1/applications?tenantId=acme&region=eu",
          `/v1/applications/${appId}/keys?bogus=1`,
          // A filter of the applications list is not one of the keys list.
          `/v1/applications/${appId}/keys?tenantId=acme`,
        ]) {
          expectProblem(await server.call("GET", url), 400, "VALIDATION_FAILED");
        }
        expect((await ok("GET", "/v1/applications?tenantId=globex&limit=5")).items).toHaveLength(2);
        expect((await ok("GET", `/v1/applications/${appId}/keys?limit=5`)).items).toBeInstanceOf(Array);
      });
    });
  });
}
