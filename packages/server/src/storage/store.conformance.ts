import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestBackend } from "../testing/backends";
import { type Store, StoreConflict } from "./store";

/** The contract of store.ts, as tests. Every backend runs all of it. */
export function describeStoreConformance(backend: TestBackend): void {
  describe(`Store conformance on ${backend.name}`, () => {
    let store: Store;
    let env: string;

    beforeAll(async () => {
      store = await backend.open();
      env = (await store.createEnvironment({ id: "env_1", key: "development", name: "Development" })).id;
    });
    afterAll(async () => {
      await store?.close();
    });

    it("creates environments at revision 0 and refuses a duplicate key", async () => {
      const created = await store.createEnvironment({ id: "env_2", key: "production", name: "Production" });
      expect(created).toMatchObject({ key: "production", revision: 0 });
      await expect(
        store.createEnvironment({ id: "env_3", key: "production", name: "Again" }),
      ).rejects.toMatchObject({
        code: "DUPLICATE_KEY",
      });
      expect((await store.listEnvironments()).map((e) => e.key)).toEqual(["development", "production"]);
      expect((await store.getEnvironment("production"))?.id).toBe("env_2");
      expect((await store.getEnvironment("env_2"))?.key).toBe("production");
      expect(await store.getEnvironment("nope")).toBeUndefined();
    });

    it("stores tokens by hash and revokes idempotently", async () => {
      await store.createToken({
        id: "tok_1",
        environmentId: env,
        name: "ci",
        kind: "management",
        rights: ["manage", "decide"],
        tokenHash: "a".repeat(64),
        display: "tsr_mgmt_…abcd",
        expiresAt: "2031-02-03T04:05:06.789Z",
      });
      const [token] = await store.listTokens(env);
      expect(token).toMatchObject({
        id: "tok_1",
        rights: ["manage", "decide"],
        revokedAt: null,
        expiresAt: "2031-02-03T04:05:06.789Z",
      });
      const first = await store.revokeToken(env, "tok_1");
      expect(first?.revokedAt).toBeTypeOf("string");
      const second = await store.revokeToken(env, "tok_1");
      expect(second?.revokedAt).toBe(first?.revokedAt);
      expect(await store.revokeToken(env, "tok_missing")).toBeUndefined();
      expect(await store.revokeToken("env_2", "tok_1")).toBeUndefined();
    });

    it("writes atomically, bumps the revision by one per write and records each change", async () => {
      const before = (await store.getEnvironment(env))!.revision;
      const result = await store.write(env, "test", async (tx) => {
        await tx.create("feature", "sso", { key: "sso", type: "boolean" });
        await tx.create("feature", "seats", { key: "seats", type: "limit" });
        await tx.update("feature", "sso", { key: "sso", type: "boolean", name: "SSO" });
        return "done";
      });
      expect(result.value).toBe("done");
      expect(result.revision).toBe(before + 1);
      expect(result.changes.map((c) => [c.seq, c.resourceId, c.action])).toEqual([
        [0, "sso", "create"],
        [1, "seats", "create"],
        [2, "sso", "update"],
      ]);
      expect(result.changes[2]).toMatchObject({
        before: { key: "sso", type: "boolean" },
        after: { name: "SSO" },
      });
      expect((await store.getEnvironment(env))!.revision).toBe(before + 1);
    });

    it("leaves nothing behind when the work throws", async () => {
      const before = (await store.getEnvironment(env))!.revision;
      await expect(
        store.write(env, "test", async (tx) => {
          await tx.create("feature", "half", { key: "half" });
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect(await store.getResource(env, "feature", "half")).toBeUndefined();
      expect((await store.getEnvironment(env))!.revision).toBe(before);
      const changes = await store.listChanges(env, { limit: 100 });
      expect(changes.some((c) => c.resourceId === "half")).toBe(false);
    });

    it("records changes to what is not a resource, and writes tokens and credentials in the same transaction", async () => {
      const before = (await store.getEnvironment(env))!.revision;
      const result = await store.write(env, "tok_admin", async (tx) => {
        const token = await tx.createToken({
          id: "tok_tx",
          name: "tx",
          kind: "server",
          rights: ["decide"],
          tokenHash: "c".repeat(64),
          display: "tsr_sk_…tx00",
          expiresAt: null,
        });
        tx.record({
          kind: "token",
          resourceId: token.id,
          action: "create",
          before: undefined,
          after: { id: "tok_tx" },
        });
        return token;
      });
      expect(result.value).toMatchObject({ id: "tok_tx", environmentId: env, revokedAt: null });
      expect(result.revision).toBe(before + 1);
      expect(result.changes).toMatchObject([
        {
          kind: "token",
          resourceId: "tok_tx",
          action: "create",
          actor: "tok_admin",
          after: { id: "tok_tx" },
        },
      ]);
      expect((await store.getEnvironment(env))!.revision).toBe(before + 1);

      // A change and its record cannot part: when the work throws, neither the token, its revocation, an
      // application nor a record is left.
      await expect(
        store.write(env, "tok_admin", async (tx) => {
          await tx.revokeToken("tok_tx");
          await tx.createToken({
            id: "tok_half",
            name: "half",
            kind: "server",
            rights: ["decide"],
            tokenHash: "d".repeat(64),
            display: "tsr_sk_…half",
            expiresAt: null,
          });
          await tx.credentials.createApplication(
            {
              id: "app_half",
              environmentId: env,
              tenantId: "acme",
              name: "half",
              defaultApi: null,
              tokenTtlSeconds: null,
              metadata: {},
            },
            { id: "cs_half", secretHash: "e".repeat(64), display: "tsr_cs_…half", expiresAt: null },
          );
          tx.record({
            kind: "token",
            resourceId: "tok_half",
            action: "create",
            before: undefined,
            after: {},
          });
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      const tokens = await store.listTokens(env);
      expect(tokens.find((t) => t.id === "tok_tx")?.revokedAt).toBeNull();
      expect(tokens.some((t) => t.id === "tok_half")).toBe(false);
      expect(await store.credentials.getApplication(env, "app_half")).toBeUndefined();
      expect((await store.getEnvironment(env))!.revision).toBe(before + 1);
      expect((await store.listChanges(env, { limit: 1000, resourceId: "tok_half" })).length).toBe(0);
    });

    it("refuses a duplicate id inside a write and rolls the write back", async () => {
      await expect(
        store.write(env, "test", async (tx) => {
          await tx.create("feature", "extra", { key: "extra" });
          await tx.create("feature", "sso", { key: "sso" });
        }),
      ).rejects.toBeInstanceOf(StoreConflict);
      expect(await store.getResource(env, "feature", "extra")).toBeUndefined();
    });

    it("maps a unique index violation to DUPLICATE_KEY", async () => {
      await store.write(env, "test", (tx) =>
        tx.create("subscription", "sub_1", { id: "sub_1", tenantId: "acme", externalKey: "stripe_1" }),
      );
      await expect(
        store.write(env, "test", (tx) =>
          tx.create("subscription", "sub_2", { id: "sub_2", tenantId: "acme", externalKey: "stripe_1" }),
        ),
      ).rejects.toMatchObject({ code: "DUPLICATE_KEY" });
    });

    it("treats update of a missing resource as NOT_FOUND and delete as idempotent", async () => {
      await expect(store.write(env, "test", (tx) => tx.update("feature", "ghost", {}))).rejects.toMatchObject(
        {
          code: "NOT_FOUND",
        },
      );
      const result = await store.write(env, "test", (tx) => tx.delete("feature", "ghost"));
      expect(result.value).toBeUndefined();
      expect(result.changes).toEqual([]);
    });

    it("pages resources by id and filters by tenant", async () => {
      await store.write(env, "test", async (tx) => {
        for (const id of ["g3", "g1", "g2", "g4"]) {
          await tx.create("grant", id, { id, tenantId: id === "g4" ? "beta" : "acme" });
        }
      });
      const page1 = await store.listResources(env, "grant", { limit: 2 });
      expect(page1.map((r) => r.id)).toEqual(["g1", "g2"]);
      const page2 = await store.listResources(env, "grant", { limit: 2, after: "g2" });
      expect(page2.map((r) => r.id)).toEqual(["g3", "g4"]);
      const acme = await store.listResources(env, "grant", { limit: 10, tenantId: "acme" });
      expect(acme.map((r) => r.id)).toEqual(["g1", "g2", "g3"]);
      const found = await store.write(env, "test", (tx) => tx.findBy("grant", "tenantId", "beta"));
      expect(found.value.map((r) => r.id)).toEqual(["g4"]);
      const all = await store.write(env, "test", (tx) => tx.list("grant"));
      expect(all.value.map((r) => r.id)).toEqual(["g1", "g2", "g3", "g4"]);
    });

    it("loads an environment's state at one revision and keeps environments apart", async () => {
      const state = await store.loadState(env);
      expect(state.revision).toBe((await store.getEnvironment(env))!.revision);
      expect(state.resources.some((r) => r.kind === "feature" && r.id === "sso")).toBe(true);
      const other = await store.loadState("env_2");
      expect(other).toEqual({ revision: 0, resources: [] });
      await expect(store.loadState("env_missing")).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("lists changes in order and filters them", async () => {
      const all = await store.listChanges(env, { limit: 1000 });
      const order = all.map((c) => [c.revision, c.seq]);
      expect(order).toEqual([...order].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!));
      const sso = await store.listChanges(env, { limit: 10, kind: "feature", resourceId: "sso" });
      expect(sso.map((c) => c.action)).toEqual(["create", "update"]);
      const later = await store.listChanges(env, { limit: 10, afterRevision: all[0]!.revision });
      expect(later.every((c) => c.revision > all[0]!.revision)).toBe(true);
    });

    it("serialises concurrent writers: revisions are consecutive and none is lost", async () => {
      const start = (await store.getEnvironment(env))!.revision;
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.write(env, "test", (tx) => tx.create("tenant", `t${i}`, { id: `t${i}` })),
        ),
      );
      expect(results.map((r) => r.revision).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 8 }, (_, i) => start + i + 1),
      );
    });
  });
}
