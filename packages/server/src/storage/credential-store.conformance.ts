import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestBackend } from "../testing/backends";
import { apiKeyRecord } from "../testing/credentials";
import type { ApiKeyRecord } from "./credential-store";
import type { Store } from "./store";

/** The contract of credential-store.ts, as tests. Every backend runs all of it. */
export function describeCredentialStoreConformance(backend: TestBackend): void {
  describe(`CredentialStore conformance on ${backend.name}`, () => {
    let store: Store;
    const env = "env_c1";
    const hash = (c: string) => c.repeat(64);
    const newKey = (id: string, h: string, over: Partial<ApiKeyRecord> = {}) =>
      apiKeyRecord(id, env, "app_1", h, over);

    beforeAll(async () => {
      store = await backend.open();
      await store.createEnvironment({ id: env, key: "development", name: "Development" });
      await store.createEnvironment({ id: "env_c2", key: "production", name: "Production" });
    });
    afterAll(async () => {
      await store?.close();
    });

    it("creates an application with its first secret, and refuses a duplicate id or secret", async () => {
      const app = await store.credentials.createApplication(
        {
          id: "app_1",
          environmentId: env,
          tenantId: "acme",
          name: "Billing sync",
          defaultApi: "payments@1",
          tokenTtlSeconds: null,
          metadata: { team: "billing" },
        },
        { id: "cs_1", secretHash: hash("a"), display: "tsr_cs_…abcd", expiresAt: null },
      );
      expect(app).toMatchObject({
        id: "app_1",
        tenantId: "acme",
        revokedAt: null,
        metadata: { team: "billing" },
      });
      expect(await store.credentials.listClientSecrets("app_1")).toHaveLength(1);
      await expect(
        store.credentials.createApplication(
          { ...app, id: "app_2" },
          { id: "cs_2", secretHash: hash("a"), display: "x", expiresAt: null },
        ),
      ).rejects.toMatchObject({ code: "DUPLICATE_KEY" });
      // All or nothing: the application of the refused secret was not left behind.
      expect(await store.credentials.getApplication(env, "app_2")).toBeUndefined();
      await expect(
        store.credentials.createApplication(
          { ...app, id: "app_x", environmentId: "env_missing" },
          { id: "cs_x", secretHash: hash("x"), display: "x", expiresAt: null },
        ),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("keeps applications apart by environment, pages them and filters by tenant", async () => {
      await store.credentials.createApplication(
        {
          id: "app_3",
          environmentId: env,
          tenantId: "beta",
          name: "B",
          defaultApi: null,
          tokenTtlSeconds: 60,
          metadata: {},
        },
        { id: "cs_3", secretHash: hash("3"), display: "x", expiresAt: null },
      );
      expect(await store.credentials.getApplication("env_c2", "app_1")).toBeUndefined();
      const page = await store.credentials.listApplications(env, { limit: 1 });
      expect(page.map((a) => a.id)).toEqual(["app_1"]);
      const next = await store.credentials.listApplications(env, { limit: 10, after: "app_1" });
      expect(next.map((a) => a.id)).toEqual(["app_3"]);
      const beta = await store.credentials.listApplications(env, { limit: 10, tenantId: "beta" });
      expect(beta.map((a) => a.id)).toEqual(["app_3"]);
      expect((await store.credentials.listAllApplications()).length).toBe(2);
    });

    it("patches an application, keeping what the patch leaves out", async () => {
      const updated = await store.credentials.updateApplication(env, "app_3", {
        name: "Beta sync",
        defaultApi: null,
      });
      expect(updated).toMatchObject({ name: "Beta sync", tokenTtlSeconds: 60, defaultApi: null });
      expect(await store.credentials.updateApplication("env_c2", "app_3", { name: "x" })).toBeUndefined();
    });

    it("rotates a client secret: the old one expires at the grace end, an earlier expiry is kept", async () => {
      const graceEnd = new Date(Date.now() + 3_600_000);
      const secret = await store.credentials.rotateClientSecret(
        "app_1",
        { id: "cs_1b", secretHash: hash("b"), display: "x" },
        graceEnd,
      );
      expect(secret.expiresAt).toBeNull();
      const secrets = await store.credentials.listClientSecrets("app_1");
      expect(secrets.map((s) => [s.id, s.expiresAt])).toEqual([
        ["cs_1", graceEnd.toISOString()],
        ["cs_1b", null],
      ]);
      await store.credentials.rotateClientSecret(
        "app_1",
        { id: "cs_1c", secretHash: hash("c"), display: "x" },
        new Date(Date.now() + 7_200_000),
      );
      const again = await store.credentials.listClientSecrets("app_1");
      expect(again.find((s) => s.id === "cs_1")?.expiresAt).toBe(graceEnd.toISOString());
      await expect(
        store.credentials.rotateClientSecret(
          "app_missing",
          { id: "cs_z", secretHash: hash("z"), display: "x" },
          graceEnd,
        ),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("stores API keys, patches them and revokes idempotently", async () => {
      const key = await store.credentials.createApiKey(
        newKey("key_1", "k", {
          scopes: ["payments:read"],
          ipAllowList: ["10.0.0.0/8", "2001:db8::/32"],
          timeWindow: { start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5] },
          metadata: { purpose: "ci" },
        }),
      );
      expect(key).toMatchObject({
        scopes: ["payments:read"],
        revokedAt: null,
        lastUsedAt: null,
        replacedBy: null,
      });
      expect(key.timeWindow).toEqual({ start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5] });
      await expect(store.credentials.createApiKey(newKey("key_2", "k"))).rejects.toMatchObject({
        code: "DUPLICATE_KEY",
      });
      const patched = await store.credentials.updateApiKey(env, "key_1", { ipAllowList: null, name: "ci" });
      expect(patched).toMatchObject({ ipAllowList: null, name: "ci", scopes: ["payments:read"] });
      const first = await store.credentials.revokeApiKey(env, "key_1");
      expect(first?.revokedAt).toBeTypeOf("string");
      expect((await store.credentials.revokeApiKey(env, "key_1"))?.revokedAt).toBe(first?.revokedAt);
      expect(await store.credentials.revokeApiKey("env_c2", "key_1")).toBeUndefined();
    });

    it("rotates an API key atomically and refuses to rotate a revoked one", async () => {
      await store.credentials.createApiKey(newKey("key_3", "m"));
      const graceEnd = new Date(Date.now() + 60_000);
      const { old, next } = await store.credentials.rotateApiKey(
        env,
        "key_3",
        newKey("key_4", "n"),
        graceEnd,
      );
      expect(old).toMatchObject({ replacedBy: "key_4", expiresAt: graceEnd.toISOString() });
      expect(next).toMatchObject({ id: "key_4", expiresAt: null });
      await expect(
        store.credentials.rotateApiKey(env, "key_1", newKey("key_5", "o"), graceEnd),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
      expect(await store.credentials.getApiKey(env, "key_5")).toBeUndefined();
      const listed = await store.credentials.listApiKeys(env, "app_1", { limit: 2, after: "key_1" });
      expect(listed.map((k) => k.id)).toEqual(["key_3", "key_4"]);
    });

    it("writes last use without ever going back in time", async () => {
      const later = new Date("2030-01-02T00:00:00Z");
      await store.credentials.touchApiKeys([
        { id: "key_4", at: later },
        { id: "key_missing", at: later },
      ]);
      await store.credentials.touchApiKeys([{ id: "key_4", at: new Date("2030-01-01T00:00:00Z") }]);
      expect((await store.credentials.getApiKey(env, "key_4"))?.lastUsedAt).toBe(later.toISOString());
    });

    it("revoking an application revokes its keys", async () => {
      await store.credentials.createApiKey(
        newKey("key_6", "p", { applicationId: "app_3", tenantId: "beta" }),
      );
      const app = await store.credentials.revokeApplication(env, "app_3");
      expect(app?.revokedAt).toBeTypeOf("string");
      expect((await store.credentials.getApiKey(env, "key_6"))?.revokedAt).toBeTypeOf("string");
      expect((await store.credentials.revokeApplication(env, "app_3"))?.revokedAt).toBe(app?.revokedAt);
      expect(await store.credentials.revokeApplication(env, "app_missing")).toBeUndefined();
    });

    it("keeps one active signing key; rotation retires the previous one", async () => {
      const at = new Date("2030-01-01T00:00:00Z");
      expect(
        await store.credentials.addSigningKey(
          { kid: "k1", publicJwk: { x: 1 }, privateJwk: { d: 1 } },
          at,
          true,
        ),
      ).toBe(true);
      expect(
        await store.credentials.addSigningKey({ kid: "k0", publicJwk: {}, privateJwk: {} }, at, true),
      ).toBe(false);
      const later = new Date("2030-01-02T00:00:00Z");
      expect(
        await store.credentials.addSigningKey(
          { kid: "k2", publicJwk: { x: 2 }, privateJwk: { d: 2 } },
          later,
        ),
      ).toBe(true);
      const keys = await store.credentials.listSigningKeys();
      expect(keys.map((k) => [k.kid, k.status, k.retiredAt])).toEqual([
        ["k1", "retiring", later.toISOString()],
        ["k2", "active", null],
      ]);
      expect(await store.credentials.retireSigningKeys(later)).toBe(0);
      expect(await store.credentials.retireSigningKeys(new Date("2030-01-03T00:00:00Z"))).toBe(1);
      const retired = (await store.credentials.listSigningKeys())[0]!;
      expect(retired).toMatchObject({ kid: "k1", status: "retired", privateJwk: null, publicJwk: { x: 1 } });
    });

    it("remembers revoked access tokens until they expire", async () => {
      const exp = new Date(Date.now() + 60_000);
      await store.credentials.revokeAccessToken("jti-1", "app_1", exp);
      await store.credentials.revokeAccessToken("jti-1", "app_1", exp);
      expect(await store.credentials.isAccessTokenRevoked("jti-1")).toBe(true);
      expect(await store.credentials.isAccessTokenRevoked("jti-2")).toBe(false);
      expect(await store.credentials.purgeRevokedAccessTokens(new Date())).toBe(0);
      expect(await store.credentials.purgeRevokedAccessTokens(new Date(exp.getTime() + 1))).toBe(1);
      expect(await store.credentials.isAccessTokenRevoked("jti-1")).toBe(false);
    });
  });
}
