import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Store } from "../../storage/store";
import { testBackends } from "../../testing/backends";
import { createPaymentsApi } from "../../testing/credentials";
import { startTestServer, type TestServer } from "../../testing/server";

/**
 * Writes that race: each service's checks must be made inside the write transaction (which holds the
 * environment's write lock), not on a read taken before it, or two writes that exclude each other can both
 * succeed. Each race is run two ways: the conflicting write committed just before the request's own
 * transaction begins (after any check it makes outside it), which fails every time if a check is made too
 * early; and requests fired at once, several rounds over, asserting the invariants whatever the order. (On
 * PGlite, one connection, the concurrent requests happen to run one after another, so there only the first
 * way finds the fault; on PostgreSQL both do.)
 */
const ROUNDS = 8;

/** Starts `request` after `hops` turns of the event loop: the requests of a round start a little apart. */
async function after<T>(hops: number, request: () => Promise<T>): Promise<T> {
  for (let i = 0; i < hops; i++) await new Promise((resolve) => setImmediate(resolve));
  return request();
}

for (const backend of testBackends()) {
  describe(`credential write races on ${backend.name}`, () => {
    let server: TestServer;
    let round = 0;
    const unique = (prefix: string) => `${prefix}-${++round}`;

    const newTenant = async () => {
      const id = unique("tenant");
      const r = await server.call("POST", "/v1/tenants", { id });
      expect(r.statusCode, r.body).toBe(201);
      return id;
    };
    const newApplication = async (tenantId: string) => {
      const r = await server.call("POST", "/v1/applications", { tenantId, name: "app", api: "payments@1" });
      expect(r.statusCode, r.body).toBe(201);
      return r.json().id as string;
    };
    const newKey = async (applicationId: string, body: Record<string, unknown> = {}) => {
      const r = await server.call("POST", `/v1/applications/${applicationId}/keys`, body);
      expect(r.statusCode, r.body).toBe(201);
      return r.json() as { id: string; key: string; expiresAt: string | null };
    };
    const keysOf = async (applicationId: string) =>
      (await server.call("GET", `/v1/applications/${applicationId}/keys?limit=1000`)).json().items as {
        id: string;
        revokedAt: string | null;
        expiresAt: string | null;
        replacedBy: string | null;
      }[];
    const rotate = (applicationId: string, keyId: string, gracePeriodSeconds: number) =>
      server.call("POST", `/v1/applications/${applicationId}/keys/${keyId}/rotate`, { gracePeriodSeconds });

    beforeAll(async () => {
      server = await startTestServer(backend);
      await createPaymentsApi(server);
    });
    afterAll(async () => server?.close());

    /**
     * Runs `other` to completion just before the next store write starts: after the checks a service makes
     * outside its transaction, before those it makes inside. As if `other` had run on another server then.
     */
    const justBeforeNextWrite = (other: () => Promise<unknown>) => {
      const store = server.tessera.store;
      const write = store.write.bind(store);
      const spy = vi.spyOn(store, "write").mockImplementationOnce((async (environmentId, actor, work) => {
        spy.mockRestore();
        await other();
        return write(environmentId, actor, work);
      }) as Store["write"]);
    };

    it("an application is never created for a tenant another server has deleted", async () => {
      const tenantId = await newTenant();
      // Deleted as another server on the same database would: this server's snapshot still has the tenant.
      // (This server's next write finds the revision it skipped and reloads its snapshot: a second's wait.)
      await server.tessera.store.write(server.environmentId, "other-server", (tx) =>
        tx.delete("tenant", tenantId),
      );
      const r = await server.call("POST", "/v1/applications", { tenantId, name: "orphan" });
      expect(r.statusCode, r.body).toBe(422);
      expect(r.json()).toMatchObject({ code: "REFERENCE_NOT_FOUND", errors: [{ pointer: "/tenantId" }] });
      expect((await server.call("GET", `/v1/applications?tenantId=${tenantId}`)).json().items).toEqual([]);
    });

    it("an application create refuses a tenant deleted just before its transaction", async () => {
      const tenantId = await newTenant();
      justBeforeNextWrite(() =>
        server.tessera.services.catalog.delete(server.environmentId, "x", "tenant", tenantId),
      );
      const r = await server.call("POST", "/v1/applications", { tenantId, name: "orphan" });
      expect(r.statusCode, r.body).toBe(422);
      expect(r.json().code).toBe("REFERENCE_NOT_FOUND");
      expect((await server.call("GET", `/v1/applications?tenantId=${tenantId}`)).json().items).toEqual([]);
    });

    it("a tenant delete and concurrent application creates never leave an orphan", async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const tenantId = await newTenant();
        const [deleted, ...created] = await Promise.all([
          after(i, () => server.call("DELETE", `/v1/tenants/${tenantId}`)),
          ...[0, 1, 2, 3, 4, 5, 6, 7].map((hops) =>
            after(hops, () => server.call("POST", "/v1/applications", { tenantId, name: "racer" })),
          ),
        ]);
        expect([204, 409], deleted!.body).toContain(deleted!.statusCode);
        for (const c of created) {
          expect([201, 422], c.body).toContain(c.statusCode);
          if (c.statusCode === 422) expect(c.json().code).toBe("REFERENCE_NOT_FOUND");
        }
        const apps = (await server.call("GET", `/v1/applications?tenantId=${tenantId}`)).json().items;
        const tenant = await server.call("GET", `/v1/tenants/${tenantId}`);
        if (deleted!.statusCode === 204) {
          // The tenant is gone: nothing may have been created for it, before or after.
          expect(tenant.statusCode).toBe(404);
          expect(apps).toEqual([]);
          expect(created.every((c) => c.statusCode === 422)).toBe(true);
        } else {
          expect(tenant.statusCode).toBe(200);
          expect(apps.length).toBe(created.filter((c) => c.statusCode === 201).length);
          expect(apps.length).toBeGreaterThan(0);
        }
      }
    });

    it("a PATCH refuses an application revoked just before its transaction", async () => {
      const appId = await newApplication(await newTenant());
      justBeforeNextWrite(() =>
        server.tessera.services.applications.revoke(server.environmentId, "x", appId),
      );
      const r = await server.call("PATCH", `/v1/applications/${appId}`, { name: "late" });
      expect(r.statusCode, r.body).toBe(422);
      expect(r.json().code).toBe("INVALID_STATE");
      const changes = await server.tessera.store.listChanges(server.environmentId, {
        kind: "application",
        resourceId: appId,
        limit: 1000,
      });
      expect(changes.at(-1)!.actor).toBe("x");
      expect((changes.at(-1)!.after as { name: string }).name).toBe("app");
    });

    it("no application change is recorded after the one that revoked it", async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const appId = await newApplication(await newTenant());
        const patch = (n: number) =>
          server.call("PATCH", `/v1/applications/${appId}`, { name: `renamed-${n}` });
        const responses = await Promise.all([
          ...[0, 1, 2, 3, 4, 5, 6, 7].map((hops) => after(hops, () => patch(hops))),
          after(i, () => server.call("DELETE", `/v1/applications/${appId}`)),
        ]);
        for (const r of responses) {
          expect([200, 422], r.body).toContain(r.statusCode);
          if (r.statusCode === 422) expect(r.json().code).toBe("INVALID_STATE");
        }
        const changes = await server.tessera.store.listChanges(server.environmentId, {
          kind: "application",
          resourceId: appId,
          limit: 1000,
        });
        const revokedAt = changes.findIndex(
          (c) => (c.after as { revokedAt: string | null } | null)?.revokedAt != null,
        );
        expect(revokedAt).toBeGreaterThan(0);
        // The revoking update is the application's last change: no PATCH slipped in after it.
        expect(changes.length - 1).toBe(revokedAt);
        const stored = (await server.call("GET", `/v1/applications/${appId}`)).json();
        expect(stored.revokedAt).toEqual(expect.any(String));
      }
    });

    it("a key create refuses an application revoked just before its transaction", async () => {
      const appId = await newApplication(await newTenant());
      justBeforeNextWrite(() =>
        server.tessera.services.applications.revoke(server.environmentId, "x", appId),
      );
      const r = await server.call("POST", `/v1/applications/${appId}/keys`, {});
      expect(r.statusCode, r.body).toBe(422);
      expect(r.json().code).toBe("INVALID_STATE");
      expect(await keysOf(appId)).toEqual([]);
    });

    it("no live key is left on an application revoked while keys were being made", async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const appId = await newApplication(await newTenant());
        const create = () => server.call("POST", `/v1/applications/${appId}/keys`, {});
        const responses = await Promise.all([
          ...[0, 1, 2, 3, 4, 5, 6, 7].map((hops) => after(hops, create)),
          after(i, () => server.call("DELETE", `/v1/applications/${appId}`)),
        ]);
        for (const r of responses) {
          expect([200, 201, 422], r.body).toContain(r.statusCode);
          if (r.statusCode === 422) expect(r.json().code).toBe("INVALID_STATE");
        }
        const keys = await keysOf(appId);
        expect(keys.length).toBe(responses.filter((r) => r.statusCode === 201).length);
        expect(keys.filter((k) => k.revokedAt === null)).toEqual([]);
      }
    });

    it("a key is rotated once: a retry is refused and the replacement keeps its own expiry", async () => {
      const appId = await newApplication(await newTenant());
      const key = await newKey(appId);
      const first = await rotate(appId, key.id, 2);
      expect(first.statusCode, first.body).toBe(200);
      expect(first.json()).toMatchObject({ expiresAt: null, previous: { id: key.id } });
      const replacement = first.json().id as string;

      const retry = await rotate(appId, key.id, 2);
      expect(retry.statusCode, retry.body).toBe(422);
      expect(retry.json().code).toBe("INVALID_STATE");
      const keys = await keysOf(appId);
      expect(keys.find((k) => k.id === key.id)!.replacedBy).toBe(replacement);
      expect(keys.find((k) => k.id === replacement)!.expiresAt).toBeNull();
      expect(keys.length).toBe(2);

      // The replacement is a key like any other: it rotates, and its successor does not expire either.
      const second = await rotate(appId, replacement, 600);
      expect(second.statusCode, second.body).toBe(200);
      expect(second.json().expiresAt).toBeNull();

      // An expiry the user set is carried over; the grace period is the old key's alone.
      const dated = await newKey(appId, { expiresAt: "2031-01-01T00:00:00.000Z" });
      const rotated = await rotate(appId, dated.id, 2);
      expect(rotated.statusCode, rotated.body).toBe(200);
      expect(Date.parse(rotated.json().expiresAt)).toBe(Date.parse("2031-01-01T00:00:00.000Z"));
      expect(Date.parse(rotated.json().previous.expiresAt)).toBeLessThan(Date.now() + 60_000);
    });

    it("an expired or revoked key is not rotated", async () => {
      const appId = await newApplication(await newTenant());
      const expired = await newKey(appId, { expiresAt: "2020-01-01T00:00:00.000Z" });
      const r = await rotate(appId, expired.id, 60);
      expect(r.statusCode, r.body).toBe(422);
      expect(r.json().code).toBe("INVALID_STATE");
      const revoked = await newKey(appId);
      await server.call("DELETE", `/v1/applications/${appId}/keys/${revoked.id}`);
      expect((await rotate(appId, revoked.id, 60)).statusCode).toBe(422);
      expect((await keysOf(appId)).length).toBe(2);
    });

    it("a rotation refuses a key rotated just before its transaction", async () => {
      const appId = await newApplication(await newTenant());
      const key = await newKey(appId);
      let other = "";
      justBeforeNextWrite(async () => {
        other = (await server.tessera.services.apiKeys.rotate(server.environmentId, "x", appId, key.id, 2))
          .apiKey.id;
      });
      const r = await rotate(appId, key.id, 2);
      expect(r.statusCode, r.body).toBe(422);
      expect(r.json().code).toBe("INVALID_STATE");
      const keys = await keysOf(appId);
      expect(keys.length).toBe(2);
      expect(keys.find((k) => k.id === key.id)!.replacedBy).toBe(other);
      expect(keys.find((k) => k.id === other)!.expiresAt).toBeNull();
    });

    it("concurrent rotations of one key: exactly one succeeds", async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const appId = await newApplication(await newTenant());
        const key = await newKey(appId);
        const responses = await Promise.all(
          Array.from({ length: 10 }, (_, n) => after(n % 4, () => rotate(appId, key.id, 600))),
        );
        const ok = responses.filter((r) => r.statusCode === 200);
        expect(ok.length, responses.map((r) => r.statusCode).join(",")).toBe(1);
        for (const r of responses) {
          if (r.statusCode !== 200) expect(r.json().code, r.body).toBe("INVALID_STATE");
        }
        const keys = await keysOf(appId);
        // The old key (in its grace period) and its one replacement: nothing else was made.
        expect(keys.length).toBe(2);
        expect(keys.find((k) => k.id === key.id)!.replacedBy).toBe(ok[0]!.json().id);
      }
    });
  });
}
