import { randomBytes } from "node:crypto";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTessera } from "../server";
import type { Store } from "../storage/store";
import { testBackends } from "../testing/backends";
import { seesTenant, writeTenant } from "../testing/snapshot-writes";
import { RedisChangeNotifier } from "./change-notifier";
import { SnapshotRegistry } from "./snapshots";

const redisUrl = process.env.TESSERA_TEST_REDIS_URL;
/** A channel prefix of this run's own: the Redis is shared with other runs. */
const prefix = () => `tessera-test:${randomBytes(6).toString("hex")}:`;

/** Collects the process warnings emitted while `body` runs. */
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

/** A TCP proxy to Redis whose connections a test can cut, as a Redis restart or a network blip would. */
async function redisProxy(url: string): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `redis://127.0.0.1:${port}${target.pathname}`,
    cut,
    close: async () => {
      cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

for (const backend of testBackends()) {
  describe.skipIf(!redisUrl)(`Redis change notifications on ${backend.name}`, () => {
    let store: Store;
    const env = "env_notify";

    beforeAll(async () => {
      store = await backend.open();
      await store.createEnvironment({ id: env, key: "notify", name: "Notify" });
    });
    afterAll(async () => store?.close());

    const write = (registry: SnapshotRegistry, id: string) => writeTenant(store, registry, env, id);
    const seen = (registry: SnapshotRegistry, id: string) => seesTenant(registry, env, id);

    it("brings another server's write to this one's decisions within milliseconds", async () => {
      const channelPrefix = prefix();
      const notifierA = new RedisChangeNotifier({ url: redisUrl!, channelPrefix });
      const notifierB = new RedisChangeNotifier({ url: redisUrl!, channelPrefix });
      const a = new SnapshotRegistry(store, { notifier: notifierA });
      const b = new SnapshotRegistry(store, { notifier: notifierB });
      const listChanges = vi.spyOn(store, "listChanges");
      try {
        await Promise.all([a.get(env), b.get(env)]);
        // The poll is there, but far too slow to be what delivers the write.
        a.follow(60_000);
        b.follow(60_000);
        // Both subscribed: a message published before then reaches no one (the poll carries that write).
        await vi.waitFor(async () => {
          const probe = new Redis(redisUrl!);
          try {
            const [, subscribers] = (await probe.pubsub("NUMSUB", `${channelPrefix}changes`)) as [
              string,
              number,
            ];
            expect(subscribers).toBe(2);
          } finally {
            probe.disconnect();
          }
        });
        for (const id of ["by-a-1", "by-a-2"]) {
          await write(a, id);
          const start = Date.now();
          await vi.waitFor(() => expect(seen(b, id)).toBe(true), { timeout: 500, interval: 5 });
          expect(Date.now() - start).toBeLessThan(500);
        }
        expect(b.current(env)!.revision).toBe(a.current(env)!.revision);
        // The other way, and neither server reads the change records for a write of its own: one read in all.
        await new Promise((resolve) => setTimeout(resolve, 50));
        const reads = listChanges.mock.calls.length;
        await write(b, "by-b");
        await vi.waitFor(() => expect(seen(a, "by-b")).toBe(true), { timeout: 500, interval: 5 });
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(listChanges.mock.calls.length).toBe(reads + 1);
      } finally {
        listChanges.mockRestore();
        a.close();
        b.close();
        await Promise.all([notifierA.close(), notifierB.close()]);
      }
    });

    it("delivers notifications again once ioredis has reconnected by itself", async () => {
      await withWarnings(async (warnings) => {
        const proxy = await redisProxy(redisUrl!);
        const channelPrefix = prefix();
        const notifierA = new RedisChangeNotifier({ url: proxy.url, channelPrefix });
        const notifierB = new RedisChangeNotifier({ url: proxy.url, channelPrefix });
        const a = new SnapshotRegistry(store, { notifier: notifierA });
        const b = new SnapshotRegistry(store, { notifier: notifierB });
        const probe = new Redis(redisUrl!);
        const subscribers = async () =>
          ((await probe.pubsub("NUMSUB", `${channelPrefix}changes`)) as [string, number])[1];
        try {
          await Promise.all([a.get(env), b.get(env)]);
          b.follow(60_000);
          await vi.waitFor(async () => expect(await subscribers()).toBe(2));
          proxy.cut();
          await vi.waitFor(async () => expect(await subscribers()).toBe(2), { timeout: 5_000 });
          // The publisher reconnects too; a write it drops meanwhile is the poll's, so write until one lands.
          let n = 0;
          await vi.waitFor(
            async () => {
              const id = `after-cut-${n++}`;
              await write(a, id);
              await vi.waitFor(() => expect(seen(b, id)).toBe(true), { timeout: 500, interval: 5 });
            },
            { timeout: 5_000, interval: 50 },
          );
          const id = "after-cut-last";
          await write(a, id);
          await vi.waitFor(() => expect(seen(b, id)).toBe(true), { timeout: 500, interval: 5 });
          // A cut connection is a warning; the process neither crashed nor printed ioredis's own errors.
          expect(warnings.length).toBeLessThanOrEqual(2);
        } finally {
          a.close();
          b.close();
          await Promise.all([notifierA.close(), notifierB.close()]);
          probe.disconnect();
          await proxy.close();
        }
      });
    });

    it("neither fails nor holds up a write while Redis is unreachable, and says so once", async () => {
      await withWarnings(async (warnings) => {
        const notifier = new RedisChangeNotifier({ url: "redis://127.0.0.1:1", channelPrefix: prefix() });
        const registry = new SnapshotRegistry(store, { notifier });
        try {
          await registry.get(env);
          expect(() => notifier.publish(env, 1)).not.toThrow();
          const start = Date.now();
          await write(registry, "redis-down-1");
          // Past the first failed attempts, while ioredis goes on retrying.
          await new Promise((resolve) => setTimeout(resolve, 400));
          await write(registry, "redis-down-2");
          expect(Date.now() - start).toBeLessThan(1_000);
          expect(seen(registry, "redis-down-1") && seen(registry, "redis-down-2")).toBe(true);
          const redis = warnings.filter((w) => w.message.includes("Redis change notifications"));
          // One per connection, however many attempts failed.
          expect(redis.map((w) => w.message.split(",")[0]).sort()).toEqual([
            "Redis change notifications (publisher) unavailable",
            "Redis change notifications (subscriber) unavailable",
          ]);
          expect(redis.every((w) => (w as Error & { code?: string }).code === "TESSERA_BACKGROUND")).toBe(
            true,
          );
        } finally {
          registry.close();
          await notifier.close();
        }
      });
    });

    it("publishes a server's writes, and its close closes the connections", async () => {
      const channelPrefix = prefix();
      const channel = `${channelPrefix}changes`;
      const listener = new Redis(redisUrl!);
      const messages: { environmentId: string; revision: number }[] = [];
      listener.on("message", (_channel: string, message: string) => messages.push(JSON.parse(message)));
      await listener.subscribe(channel);
      const probe = new Redis(redisUrl!);
      const subscribers = async () => ((await probe.pubsub("NUMSUB", channel)) as [string, number])[1];
      const notifier = new RedisChangeNotifier({ url: redisUrl!, channelPrefix });
      const own = await backend.open();
      const tessera = await createTessera({
        store: own,
        databaseUrl: undefined,
        dataDir: "memory://",
        bodyLimit: 65_536,
        notifier,
      });
      try {
        await vi.waitFor(async () => expect(await subscribers()).toBe(2));
        const token = tessera.bootstrap!.token;
        const response = await tessera.app.inject({
          method: "POST",
          url: "/v1/features",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          payload: JSON.stringify({ key: "reports", name: "Reports", type: "boolean" }),
        });
        expect(response.statusCode).toBe(201);
        const environmentId = tessera.bootstrap!.environment.id;
        const revision = (await own.getEnvironment(environmentId))!.revision;
        await vi.waitFor(() =>
          expect(messages).toContainEqual(expect.objectContaining({ environmentId, revision })),
        );
      } finally {
        await tessera.close();
        expect(await subscribers()).toBe(1);
        listener.disconnect();
        probe.disconnect();
      }
    });
  });
}
