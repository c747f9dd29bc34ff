import { evaluate } from "@tessera/sdk/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../storage/store";
import { testBackends } from "../testing/backends";
import { SnapshotRegistry } from "./snapshots";

for (const backend of testBackends()) {
  describe(`snapshot registry on ${backend.name}`, () => {
    let store: Store;
    const env = "env_snap";

    beforeAll(async () => {
      store = await backend.open();
      await store.createEnvironment({ id: env, key: "snap", name: "Snap" });
    });
    afterAll(async () => store?.close());

    const write = (registry: SnapshotRegistry, id: string) =>
      store
        .write(env, "test", (tx) => tx.create("tenant", id, { id }))
        .then((r) => registry.applyWrite(env, r.revision, r.changes));

    it("applies writes that commit out of order in revision order", async () => {
      const registry = new SnapshotRegistry(store);
      await registry.get(env);
      await Promise.all(Array.from({ length: 10 }, (_, i) => write(registry, `t${i}`)));
      const snapshot = registry.current(env)!;
      expect(snapshot.revision).toBe((await store.getEnvironment(env))!.revision);
      expect(snapshot.tenants.size).toBe(10);
    });

    it("loses no write that lands while a reload is in flight", async () => {
      const registry = new SnapshotRegistry(store);
      await registry.get(env);
      const writes = Array.from({ length: 5 }, (_, i) => write(registry, `during-${i}`));
      const reloads = [registry.reload(env), registry.reload(env)];
      await Promise.all([...writes, ...reloads]);
      const snapshot = registry.current(env)!;
      expect(snapshot.revision).toBe((await store.getEnvironment(env))!.revision);
      for (let i = 0; i < 5; i++) {
        expect(evaluate(snapshot, { subject: { tenantId: `during-${i}` }, feature: "x" }).reason).toBe(
          "FEATURE_NOT_FOUND",
        );
      }
    });

    it("answers each environment from its own snapshot, asked in turns", async () => {
      const other = "env_snap_other";
      await store.createEnvironment({ id: other, key: "snap-other", name: "Snap other" });
      const registry = new SnapshotRegistry(store);
      expect(registry.current(env)).toBeUndefined();
      await Promise.all([registry.get(env), registry.get(other)]);
      const mine = registry.current(env)!;
      const theirs = registry.current(other)!;
      expect(theirs).not.toBe(mine);
      for (let i = 0; i < 3; i++) {
        expect(registry.current(env)).toBe(mine);
        expect(registry.current(other)).toBe(theirs);
      }
      expect(registry.current("env_nowhere")).toBeUndefined();
      expect(registry.current(other)).toBe(theirs);
    });

    /** The real store, with its next `failures` loadState calls made to fail, as a dropped connection would. */
    function flaky(failures: number): { store: Store; failAgain(n: number): void } {
      const wrapped = new Proxy(store, {
        get(target, property, receiver) {
          if (property === "loadState") {
            return (id: string) =>
              failures-- > 0 ? Promise.reject(new Error("connection lost")) : target.loadState(id);
          }
          const value = Reflect.get(target, property, receiver);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      return { store: wrapped, failAgain: (n) => (failures = n) };
    }

    it("loads afresh after a failed load, rather than failing for good", async () => {
      const registry = new SnapshotRegistry(flaky(1).store);
      await expect(registry.get(env)).rejects.toThrow("connection lost");
      expect((await registry.get(env)).revision).toBe((await store.getEnvironment(env))!.revision);
      registry.close();
    });

    it("retries a gap reload that failed, and the write waiting on it completes", async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on("warning", onWarning);
      const source = flaky(0);
      const registry = new SnapshotRegistry(source.store);
      try {
        await registry.get(env);
        // Another process writes: this registry sees a gap before its own next write, and must reload.
        await store.write(env, "elsewhere", (tx) => tx.create("tenant", "gap-remote", { id: "gap-remote" }));
        source.failAgain(1);
        await write(registry, "gap-local");
        const snapshot = registry.current(env)!;
        expect(snapshot.tenants.has("gap-remote")).toBe(true);
        expect(snapshot.tenants.has("gap-local")).toBe(true);
        await new Promise((resolve) => setImmediate(resolve));
        expect(warnings.map((w) => w.message)).toContain(
          `snapshot reload of environment ${env} failed: connection lost`,
        );
      } finally {
        process.off("warning", onWarning);
        registry.close();
      }
    });

    it("catches up with a write made by another process through a reload", async () => {
      const registry = new SnapshotRegistry(store);
      await registry.get(env);
      await store.write(env, "elsewhere", (tx) => tx.create("tenant", "remote", { id: "remote" }));
      expect(registry.current(env)!.tenants.has("remote")).toBe(false);
      await registry.reload(env);
      expect(registry.current(env)!.tenants.has("remote")).toBe(true);
      registry.close();
    });
  });
}
