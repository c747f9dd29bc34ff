import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestBackend } from "../testing/backends";
import type { Store } from "./store";

/** The contract of RelationshipStore, run on every backend. */
export function describeRelationshipStoreConformance(backend: TestBackend): void {
  describe(`RelationshipStore on ${backend.name}`, () => {
    let store: Store;
    let env = "";
    let n = 0;
    const newEnv = async () => {
      const e = await store.createEnvironment({ id: `env_r${++n}`, key: `rel-${n}`, name: "r" });
      return e.id;
    };
    const anne = { object: "document:1", relation: "reader", user: "user:anne" };
    const bob = { object: "document:1", relation: "reader", user: "user:bob" };

    beforeAll(async () => {
      store = await backend.open();
      env = await newEnv();
    });
    afterAll(async () => store.close());

    it("writes a batch atomically, bumps the revision once and records the change", async () => {
      const r = await store.relationships.writeTuples(env, "t1", { writes: [anne, bob], deletes: [] });
      expect(r.revision).toBe(1);
      expect(r.written).toEqual([anne, bob]);
      expect(r.changes).toHaveLength(1);
      expect(r.changes[0]).toMatchObject({ kind: "tuple", action: "create", revision: 1, actor: "t1" });
      expect((await store.getEnvironment(env))?.revision).toBe(1);
      expect(await store.relationships.countTuples(env)).toBe(2);
    });

    it("is idempotent: an identical re-write or an absent delete changes nothing", async () => {
      const again = await store.relationships.writeTuples(env, "t1", {
        writes: [anne],
        deletes: [{ object: "document:9", relation: "reader", user: "user:zed" }],
      });
      expect(again).toMatchObject({ revision: 1, written: [], deleted: [], changes: [] });
    });

    it("replaces a tuple's condition and expiry, and keeps them", async () => {
      const t = {
        ...anne,
        condition: { name: "in_hours", context: { start: 9 } },
        expiresAt: "2030-01-01T00:00:00.000Z",
      };
      const r = await store.relationships.writeTuples(env, "t1", { writes: [t], deletes: [] });
      expect(r.revision).toBe(2);
      expect(r.written).toEqual([t]);
      expect(
        await store.relationships.listTuples(env, { object: "document:1", user: "user:anne", limit: 10 }),
      ).toEqual([t]);
    });

    it("deletes and records the deleted tuples", async () => {
      const r = await store.relationships.writeTuples(env, "t1", { writes: [], deletes: [bob] });
      expect(r.deleted).toEqual([bob]);
      expect(r.changes[0]).toMatchObject({ action: "delete", before: { tuples: [bob] } });
    });

    it("writes nothing when the guard throws", async () => {
      const e = await newEnv();
      await expect(
        store.relationships.writeTuples(e, "t1", { writes: [anne], deletes: [] }, async () => {
          throw new Error("refused");
        }),
      ).rejects.toThrow("refused");
      expect(await store.relationships.countTuples(e)).toBe(0);
      expect((await store.getEnvironment(e))?.revision).toBe(0);
    });

    it("lets the guard read resources inside the lock", async () => {
      const e = await newEnv();
      await store.write(e, "t1", (tx) => tx.create("relationship-model", "current", { v: 1 }));
      let seen: unknown;
      await store.relationships.writeTuples(e, "t1", { writes: [anne], deletes: [] }, async (read) => {
        seen = (await read("relationship-model", "current"))?.data;
      });
      expect(seen).toEqual({ v: 1 });
    });

    it("pages by key with filters, ascending", async () => {
      const e = await newEnv();
      const writes = Array.from({ length: 7 }, (_, i) => ({
        object: `doc:${i}`,
        relation: "reader",
        user: i % 2 ? "user:a" : "user:b",
      }));
      await store.relationships.writeTuples(e, "t1", { writes, deletes: [] });
      const first = await store.relationships.listTuples(e, { limit: 3 });
      expect(first.map((t) => t.object)).toEqual(["doc:0", "doc:1", "doc:2"]);
      const next = await store.relationships.listTuples(e, { limit: 10, after: first[2] });
      expect(next.map((t) => t.object)).toEqual(["doc:3", "doc:4", "doc:5", "doc:6"]);
      const byUser = await store.relationships.listTuples(e, { limit: 10, user: "user:a" });
      expect(byUser.map((t) => t.object)).toEqual(["doc:1", "doc:3", "doc:5"]);
    });

    it("refuses an unknown environment", async () => {
      await expect(
        store.relationships.writeTuples("env_missing", "t1", { writes: [anne], deletes: [] }),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
    });
  });
}
