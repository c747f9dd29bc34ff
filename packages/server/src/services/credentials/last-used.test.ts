import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CredentialStore } from "../../storage/credential-store";
import type { Store } from "../../storage/store";
import { testBackends } from "../../testing/backends";
import { apiKeyRecord } from "../../testing/credentials";
import { LastUsedRecorder } from "./last-used";

describe("LastUsedRecorder", () => {
  let store: Store;
  const env = "env_lu";

  beforeAll(async () => {
    store = await testBackends()[0]!.open();
    await store.createEnvironment({ id: env, key: "development", name: "Development" });
    await store.credentials.createApplication(
      {
        id: "app_lu",
        environmentId: env,
        tenantId: "acme",
        name: "Sync",
        defaultApi: null,
        tokenTtlSeconds: null,
        metadata: {},
      },
      { id: "cs_lu", secretHash: "a".repeat(64), display: "tsr_cs_…abcd", expiresAt: null },
    );
    for (const [id, h] of [
      ["key_a", "b"],
      ["key_b", "c"],
    ] as const) {
      await store.credentials.createApiKey(apiKeyRecord(id, env, "app_lu", h));
    }
  });
  afterAll(async () => store?.close());

  it("keeps a batch whose write failed and writes it, with what came since, on the next flush", async () => {
    // The real store, with one write made to fail, as a dropped database connection would.
    let failures = 1;
    const flaky = new Proxy(store.credentials, {
      get(target, property, receiver) {
        if (property === "touchApiKeys") {
          return (uses: { id: string; at: Date }[]) => {
            if (failures-- > 0) return Promise.reject(new Error("connection lost"));
            return target.touchApiKeys(uses);
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as CredentialStore;
    const recorder = new LastUsedRecorder(flaky);

    const first = new Date("2030-01-01T00:00:00Z");
    recorder.note("key_a", first);
    await expect(recorder.flush()).rejects.toThrow("connection lost");
    expect((await store.credentials.getApiKey(env, "key_a"))?.lastUsedAt).toBeNull();

    const second = new Date("2030-01-02T00:00:00Z");
    recorder.note("key_b", second);
    await recorder.flush();
    expect((await store.credentials.getApiKey(env, "key_a"))?.lastUsedAt).toBe(first.toISOString());
    expect((await store.credentials.getApiKey(env, "key_b"))?.lastUsedAt).toBe(second.toISOString());
    await recorder.stop();
  });
});
