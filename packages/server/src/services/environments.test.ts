import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../storage/store";
import { testBackends } from "../testing/backends";
import { EnvironmentService } from "./environments";
import { SnapshotRegistry } from "./snapshots";
import { TokenService } from "./tokens";

/** Runs `task`, and returns the process warnings emitted meanwhile (they are emitted on a later tick). */
async function warningsOf(task: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const listener = (warning: Error) => warnings.push(warning.message);
  process.on("warning", listener);
  try {
    await task();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", listener);
  }
  return warnings;
}

for (const backend of testBackends()) {
  describe(`warming environments on ${backend.name}`, () => {
    let store: Store;

    beforeAll(async () => {
      store = await backend.open();
      await store.createEnvironment({ id: "env_good", key: "good", name: "Good" });
      await store.createEnvironment({ id: "env_bad", key: "bad", name: "Bad" });
      // A stored time Date.parse cannot read. The API refuses it now; a row written before it did, or by
      // hand, must neither keep its environment from loading nor grant by accident.
      await store.write("env_bad", "test", async (tx) => {
        await tx.create("tenant", "acme", { id: "acme" });
        await tx.create("tenant", "globex", { id: "globex" });
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

    it("loads an environment with an unreadable stored time, and names the record that grants nothing", async () => {
      const snapshots = new SnapshotRegistry(store);
      const environments = new EnvironmentService(store, snapshots, new TokenService(store));
      const warnings = await warningsOf(async () => {
        await environments.warm();
        snapshots.close();
      });
      const snapshot = snapshots.current("env_bad");
      expect(snapshot?.tenants.get("acme")?.subscriptions).toMatchObject([
        { id: "sub_1", status: "expired" },
      ]);
      expect(snapshot?.tenants.has("globex")).toBe(true);
      expect(warnings).toEqual([
        expect.stringContaining(
          "environment env_bad: 1 record(s) grant nothing until their stored times are corrected (Date.parse " +
            'cannot read them): subscription "sub_1" of tenant "acme": unreadable endAt "2027-12-31T23:59:60Z"',
        ),
      ]);
    });

    it("loads every environment it can, and reports the one it cannot", async () => {
      const snapshots = new SnapshotRegistry(store);
      // Whatever keeps one environment from loading (here a listener of its snapshot that fails) must not
      // keep every other environment, and the server, from starting.
      snapshots.listen({
        async loaded(environmentId) {
          if (environmentId === "env_bad") throw new Error("the relationship index could not be built");
        },
        applied() {},
      });
      const environments = new EnvironmentService(store, snapshots, new TokenService(store));
      const warnings = await warningsOf(async () => {
        await environments.warm();
        snapshots.close();
      });
      expect(snapshots.current("env_good")).toBeDefined();
      expect(snapshots.current("env_bad")).toBeUndefined();
      expect(warnings).toContainEqual(
        expect.stringContaining('loading environment "bad": the relationship index could not be built'),
      );
    });
  });
}
