import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SnapshotRegistry } from "../services/snapshots";
import type { ChangeRecord } from "../storage/store";
import { testBackends } from "../testing/backends";
import { startTestServer, type TestServer } from "../testing/server";

const sha256 = (secret: string) => createHash("sha256").update(secret).digest("hex");

for (const backend of testBackends()) {
  describe(`credential changes on ${backend.name}: recorded in GET /v1/changes, without secrets`, () => {
    let server: TestServer;
    /** The bootstrap token's id: the actor of every change the test server's calls make. */
    let me: string;

    const changesOf = async (kind: string, resourceId: string): Promise<ChangeRecord[]> => {
      const r = await server.call("GET", `/v1/changes?kind=${kind}&resourceId=${resourceId}&limit=1000`);
      expect(r.statusCode, r.body).toBe(200);
      return r.json().items;
    };
    /** Neither a secret nor its hash, nor a hash field, nor a private key anywhere in the records. */
    const expectNoSecrets = (records: ChangeRecord[], secrets: string[]) => {
      const text = JSON.stringify(records);
      for (const secret of secrets) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(sha256(secret));
      }
      expect(text).not.toMatch(/hash|privateJwk|"d":/i);
    };
    /** The snapshot holds the environment's latest revision: no later write waits for a gap. */
    const expectSnapshotCurrent = async () => {
      const env = await server.tessera.store.getEnvironment(server.environmentId);
      // createServices returns the registry with the services; the Services type leaves it out.
      const { snapshots } = server.tessera.services as unknown as { snapshots: SnapshotRegistry };
      expect(snapshots.current(server.environmentId)?.revision).toBe(env!.revision);
    };

    beforeAll(async () => {
      server = await startTestServer(backend);
      me = (await server.call("GET", "/v1/tokens"))
        .json()
        .items.find((t: { name: string }) => t.name === "bootstrap").id;
      await server.tessera.services.catalog.create(server.environmentId, "test", "api", {
        key: "payments@1",
        name: "payments",
        majorVersion: 1,
        basePath: "/v1",
        scopes: [{ name: "payments:read" }],
        operations: [{ name: "list", method: "GET", path: "/payments", alternatives: [["payments:read"]] }],
      });
      await server.call("POST", "/v1/plans", {
        key: "pro",
        name: "Pro",
        features: {},
        apiAccess: [{ api: "payments@1", scopes: ["payments:read"] }],
      });
      await server.call("POST", "/v1/tenants", { id: "acme" });
      await server.call("POST", "/v1/subscriptions", { id: "s1", tenantId: "acme", planKey: "pro" });
    });
    afterAll(async () => server?.close());

    it("the bootstrap token's creation is the system's", async () => {
      const [created] = await changesOf("token", me);
      expect(created).toMatchObject({ kind: "token", action: "create", actor: "system" });
    });

    it("creating and revoking a token: who, what, before and after, never the secret or its hash", async () => {
      const created = await server.call("POST", "/v1/tokens", { name: "ci", kind: "server" });
      expect(created.statusCode, created.body).toBe(201);
      const { id, token: secret } = created.json();
      await expectSnapshotCurrent();
      expect((await server.call("DELETE", `/v1/tokens/${id}`)).statusCode).toBe(200);
      expect((await server.call("DELETE", `/v1/tokens/${id}`)).statusCode).toBe(200);

      const records = await changesOf("token", id);
      expect(records).toHaveLength(2); // the second revoke changed nothing
      const [create, revoke] = records;
      expect(create).toMatchObject({
        kind: "token",
        resourceId: id,
        action: "create",
        actor: me,
        after: { id, name: "ci", kind: "server", rights: ["decide"], revokedAt: null },
      });
      expect(create!.before).toBeUndefined();
      expect(revoke).toMatchObject({
        action: "update",
        actor: me,
        before: { id, revokedAt: null },
        after: { id, revokedAt: expect.any(String) },
      });
      expect(revoke!.revision).toBeGreaterThan(create!.revision);
      expectNoSecrets(records, [secret]);
      await expectSnapshotCurrent();
    });

    it("a catalog write right after a token creation does not wait for a revision gap", async () => {
      expect((await server.call("POST", "/v1/tokens", { name: "quick" })).statusCode).toBe(201);
      const started = performance.now();
      const r = await server.call("POST", "/v1/features", { key: "sso", name: "SSO", type: "boolean" });
      expect(r.statusCode, r.body).toBe(201);
      expect(performance.now() - started).toBeLessThan(500);
      await expectSnapshotCurrent();
    });

    it("applications: create, patch, secret rotation and revocation are recorded", async () => {
      const created = await server.call("POST", "/v1/applications", { tenantId: "acme", name: "sync" });
      expect(created.statusCode, created.body).toBe(201);
      const { id, clientSecret } = created.json();
      await expectSnapshotCurrent();
      expect((await server.call("PATCH", `/v1/applications/${id}`, { name: "sync2" })).statusCode).toBe(200);
      const rotated = await server.call("POST", `/v1/applications/${id}/secret/rotate`, {
        gracePeriodSeconds: 60,
      });
      expect(rotated.statusCode, rotated.body).toBe(200);
      await expectSnapshotCurrent();
      expect((await server.call("DELETE", `/v1/applications/${id}`)).statusCode).toBe(200);

      const records = await changesOf("application", id);
      expect(records.map((r) => [r.action, r.actor])).toEqual([
        ["create", me],
        ["update", me],
        ["update", me],
        ["update", me],
      ]);
      expect(records[0]!.after).toMatchObject({ id, tenantId: "acme", name: "sync", revokedAt: null });
      expect(records[1]).toMatchObject({ before: { name: "sync" }, after: { name: "sync2" } });
      expect((records[2]!.before as { secrets: unknown[] }).secrets).toHaveLength(1);
      expect((records[2]!.after as { secrets: unknown[] }).secrets).toHaveLength(2);
      expect(records[3]).toMatchObject({
        before: { revokedAt: null },
        after: { revokedAt: expect.any(String) },
      });
      expectNoSecrets(records, [clientSecret, rotated.json().clientSecret]);
      await expectSnapshotCurrent();
    });

    it("API keys: create, rotation, revocation and an application's revocation are recorded", async () => {
      const app = (await server.call("POST", "/v1/applications", { tenantId: "acme", name: "keys" })).json();
      const created = await server.call("POST", `/v1/applications/${app.id}/keys`, { api: "payments@1" });
      expect(created.statusCode, created.body).toBe(201);
      const first = created.json();
      await expectSnapshotCurrent();
      const rotated = await server.call("POST", `/v1/applications/${app.id}/keys/${first.id}/rotate`, {
        gracePeriodSeconds: 60,
      });
      expect(rotated.statusCode, rotated.body).toBe(200);
      const second = rotated.json();
      expect((await server.call("DELETE", `/v1/applications/${app.id}/keys/${first.id}`)).statusCode).toBe(
        200,
      );
      expect((await server.call("DELETE", `/v1/applications/${app.id}`)).statusCode).toBe(200);
      await expectSnapshotCurrent();

      const firstRecords = await changesOf("apiKey", first.id);
      expect(firstRecords.map((r) => [r.action, r.actor])).toEqual([
        ["create", me],
        ["update", me], // rotated: replacedBy, expiresAt
        ["update", me], // revoked; the application's revocation then changed it no more
      ]);
      expect(firstRecords[1]).toMatchObject({
        before: { replacedBy: null },
        after: { replacedBy: second.id },
      });
      expect(firstRecords[2]).toMatchObject({
        before: { revokedAt: null },
        after: { revokedAt: expect.any(String) },
      });
      const secondRecords = await changesOf("apiKey", second.id);
      expect(secondRecords.map((r) => [r.action, r.actor])).toEqual([
        ["create", me],
        ["update", me], // revoked with its application
      ]);
      expect(secondRecords[1]!.revision).toBe((await changesOf("application", app.id)).at(-1)!.revision);
      expectNoSecrets([...firstRecords, ...secondRecords], [first.key, second.key, app.clientSecret]);
    });

    it("rotating the signing key is recorded in the rotating caller's environment, without private keys", async () => {
      const r = await server.call("POST", "/v1/oauth/keys/rotate");
      expect(r.statusCode, r.body).toBe(200);
      const { kid, previous } = r.json();
      await expectSnapshotCurrent();
      const [created] = await changesOf("signingKey", kid);
      expect(created).toMatchObject({ action: "create", actor: me, after: { kid, status: "active" } });
      const [retiring] = await changesOf("signingKey", previous);
      expect(retiring).toMatchObject({
        action: "update",
        actor: me,
        before: { status: "active" },
        after: { status: "retiring" },
        revision: created!.revision,
      });
      expectNoSecrets([created!, retiring!], []);
    });
  });
}
