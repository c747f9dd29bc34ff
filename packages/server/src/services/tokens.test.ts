import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { KyselyStore } from "../storage/kysely-store";
import { TokenService } from "./tokens";

/**
 * The token index and the writes of another process (here, a second TokenService over the same store, as
 * the CLI or another node would be): seen at the next refresh when polling, never without it.
 */
describe("TokenService's refresh", () => {
  let store: KyselyStore;
  let environmentId: string;

  beforeEach(async () => {
    store = await KyselyStore.open({ url: undefined, dataDir: "memory://" });
    environmentId = (await store.createEnvironment({ id: "env_t", key: "test", name: "Test" })).id;
    // Only the services' intervals are faked: PGlite's own timers keep running.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
  });

  afterEach(async () => {
    vi.useRealTimers();
    await store.close();
  });

  async function madeElsewhere(): Promise<string> {
    return (await new TokenService(store).create(environmentId, { name: "elsewhere" })).secret;
  }

  it("polls by default, and then takes another process's token within a refresh period", async () => {
    const tokens = new TokenService(store);
    await tokens.start();
    try {
      const secret = await madeElsewhere();
      expect(tokens.verify(secret).valid).toBe(false);
      await vi.advanceTimersByTimeAsync(5_000);
      await vi.waitFor(() => expect(tokens.verify(secret).valid).toBe(true));
    } finally {
      tokens.stop();
    }
  });

  it("does not poll when told no other process writes, yet takes its own writes at once", async () => {
    const tokens = new TokenService(store);
    const listed = vi.spyOn(store, "listTokens");
    await tokens.start({ poll: false });
    try {
      expect(vi.getTimerCount()).toBe(0);
      const own = await tokens.create(environmentId, { name: "own" });
      expect(tokens.verify(own.secret).valid).toBe(true);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(listed).toHaveBeenCalledTimes(1);
    } finally {
      tokens.stop();
    }
  });
});
