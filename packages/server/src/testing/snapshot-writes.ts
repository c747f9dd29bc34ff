import { evaluate } from "@tessera/sdk/core";
import type { SnapshotRegistry } from "../services/snapshots";
import type { Store } from "../storage/store";

/** A tenant created in the store, then applied to `registry` as the server that wrote it applies its writes. */
export function writeTenant(
  store: Store,
  registry: SnapshotRegistry,
  env: string,
  id: string,
): Promise<void> {
  return store
    .write(env, "test", (tx) => tx.create("tenant", id, { id }))
    .then((r) => registry.applyWrite(env, r.revision, r.changes));
}

/** Whether the registry's snapshot of `env` knows the tenant: its decisions see the write that made it. */
export function seesTenant(registry: SnapshotRegistry, env: string, id: string): boolean {
  return (
    evaluate(registry.current(env)!, { subject: { tenantId: id }, feature: "x" }).reason !==
    "TENANT_NOT_FOUND"
  );
}
