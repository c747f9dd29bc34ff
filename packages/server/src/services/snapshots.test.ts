import { evaluate } from "@tessera/sdk/core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Store } from "../storage/store";
import { testBackends } from "../testing/backends";
import { seesTenant, writeTenant } from "../testing/snapshot-writes";
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

    const write = (registry: SnapshotRegistry, id: string) => writeTenant(store, registry, env, id);

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

    it("follows the writes of another server on the same database", async () => {
      // Two registries on one store stand for two servers on one database. Before, B saw A's writes only
      // when a write of its own revealed the gap, and a server that took no writes never did.
      const a = new SnapshotRegistry(store);
      const b = new SnapshotRegistry(store);
      await Promise.all([a.get(env), b.get(env)]);
      const seen = (registry: SnapshotRegistry, id: string) => seesTenant(registry, env, id);
      await write(a, "by-a-1");
      await write(a, "by-a-2");
      expect(seen(b, "by-a-1")).toBe(false);
      await b.catchUp();
      expect(seen(b, "by-a-1") && seen(b, "by-a-2")).toBe(true);
      expect(b.current(env)!.revision).toBe(a.current(env)!.revision);
      // A deletion too, and on its own, on a timer.
      b.follow(20);
      try {
        await store
          .write(env, "test", (tx) => tx.delete("tenant", "by-a-1"))
          .then((r) => a.applyWrite(env, r.revision, r.changes));
        const deadline = Date.now() + 5_000;
        while (seen(b, "by-a-1") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(seen(b, "by-a-1")).toBe(false);
        expect(seen(b, "by-a-2")).toBe(true);
      } finally {
        b.close();
        a.close();
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
      const registry = new SnapshotRegistry(source.store, { reloadDelayMs: 5 });
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

    /** Collects the process warnings emitted while `body` runs, and whatever they were by its end. */
    async function withWarnings(body: (warnings: Error[]) => Promise<void>): Promise<void> {
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on("warning", onWarning);
      try {
        await body(warnings);
      } finally {
        process.off("warning", onWarning);
      }
    }
    const codes = (warnings: Error[]) => warnings.map((w) => (w as Error & { code?: string }).code);

    it("answers a write whose reloads keep failing, and shows it once one succeeds", async () => {
      await withWarnings(async (warnings) => {
        const source = flaky(0);
        const registry = new SnapshotRegistry(source.store, { reloadDelayMs: 5 });
        try {
          await registry.get(env);
          await store.write(env, "elsewhere", (tx) =>
            tx.create("tenant", "down-remote", { id: "down-remote" }),
          );
          source.failAgain(1_000);
          // Answered, not hung and not failed: the write is in the database.
          await write(registry, "down-local");
          expect(registry.current(env)!.tenants.has("down-local")).toBe(false);
          await vi.waitFor(() => expect(codes(warnings)).toContain("TESSERA_SNAPSHOT_BEHIND"));
          const behind = warnings.find((w) => codes([w])[0] === "TESSERA_SNAPSHOT_BEHIND")!;
          expect(behind.message).toContain("1 committed write(s)");
          expect(behind.message).toContain("3 failed loads in a row (last: connection lost)");

          source.failAgain(0);
          await vi.waitFor(() => {
            const snapshot = registry.current(env)!;
            expect(snapshot.tenants.has("down-remote")).toBe(true);
            expect(snapshot.tenants.has("down-local")).toBe(true);
          });
        } finally {
          registry.close();
        }
      });
    });

    it("answers a write to an environment that has never loaded, and loads it once it can", async () => {
      await withWarnings(async (warnings) => {
        const source = flaky(1_000);
        const registry = new SnapshotRegistry(source.store, { reloadDelayMs: 5 });
        try {
          await write(registry, "never-loaded");
          expect(registry.current(env)).toBeUndefined();
          expect(warnings.map((w) => w.message)).toContain(
            `snapshot load of environment ${env} failed: connection lost`,
          );
          // Warnings reach their listeners on a later tick.
          await vi.waitFor(() => expect(codes(warnings)).toContain("TESSERA_SNAPSHOT_BEHIND"));
          source.failAgain(0);
          await vi.waitFor(() => expect(registry.current(env)?.tenants.has("never-loaded")).toBe(true));
        } finally {
          registry.close();
        }
      });
    });

    it("reloads at once when applying a write fails, and its writer then sees the write", async () => {
      await withWarnings(async (warnings) => {
        const registry = new SnapshotRegistry(store);
        let failures = 1;
        let loads = 0;
        registry.listen({
          loaded: async () => {
            loads++;
          },
          applied: () => {
            if (failures-- > 0) throw new Error("listener broke");
          },
        });
        try {
          await registry.get(env);
          expect(loads).toBe(1);
          // The listener fails after the snapshot took the write: the writer is answered, and the reload
          // that follows rebuilds the snapshot and the listener's state from the database.
          await write(registry, "apply-fails");
          expect(registry.current(env)!.tenants.has("apply-fails")).toBe(true);
          await vi.waitFor(() => expect(loads).toBe(2));
          expect(registry.current(env)!.tenants.has("apply-fails")).toBe(true);
          expect(warnings.map((w) => w.message)).toContainEqual(
            expect.stringMatching(
              /^applying revision \d+ to the snapshot of environment env_snap failed; reloading it: listener broke$/,
            ),
          );
        } finally {
          registry.close();
        }
      });
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
