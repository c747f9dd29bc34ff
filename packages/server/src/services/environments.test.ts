import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../storage/store";
import { testBackends } from "../testing/backends";
import { EnvironmentService } from "./environments";
import { SnapshotRegistry } from "./snapshots";
import { TokenService } from "./tokens";

for (const backend of testBackends()) {
  describe(`warming environments on ${backend.name}`, () => {
    let store: Store;

    beforeAll(async () => {
      store = await backend.open();
      await store.createEnvironment({ id: "env_good", key: "good", name: "Good" });
      await store.createEnvironment({ id: "env_bad", key: "bad", name: "Bad" });
      // A stored time the snapshot cannot compile. The API refuses it now; a row written before it did, or
      // by hand, must not keep every other environment (and the server) from starting.
      await store.write("env_bad", "test", async (tx) => {
        await tx.create("tenant", "acme", { id: "acme" });
        await tx.create("subscription", "sub_1", {
          id: "sub_1",
          tenantId: "acme",
          planKey: "pro",
          status: "active",
          startAt: "2026-01-01T00:00:00Z",
          endAt: "2027-12-31T23:59:60Z",
        });
        return undefined;
      });
    });
    afterAll(async () => store?.close());

    it("loads every environment it can, and reports the one it cannot", async () => {
      const snapshots = new SnapshotRegistry(store);
      const environments = new EnvironmentService(store, snapshots, new TokenService(store));
      const warnings: string[] = [];
      const listener = (warning: Error) => warnings.push(warning.message);
      process.on("warning", listener);
      try {
        await environments.warm();
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off("warning", listener);
        snapshots.close();
      }
      expect(snapshots.current("env_good")).toBeDefined();
      expect(snapshots.current("env_bad")).toBeUndefined();
      expect(warnings).toEqual([expect.stringContaining('loading environment "bad"')]);
    });
  });
}
