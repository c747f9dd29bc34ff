import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { Redis } from "ioredis";
import { reportBackgroundFailure } from "./every";
import type { ChangeNotifier } from "./snapshots";

export interface RedisChangeNotifierOptions {
  url: string;
  /** Prepended to the channel's name: servers that share a prefix hear each other. */
  channelPrefix?: string;
}

/** The channel's name after the prefix. */
const CHANNEL = "changes";

/**
 * Change notifications over Redis pub/sub: one connection publishes, one subscribes (a subscribed
 * connection can do nothing else). Redis is a shortcut here, never a dependency: a publish while Redis is
 * down or still connecting is dropped, each connection reports an outage once (a TESSERA_BACKGROUND
 * warning) however often ioredis then retries, and the snapshots' poll delivers other servers' writes
 * meanwhile. Neither connection keeps the process alive once the rest of it is done.
 */
export class RedisChangeNotifier implements ChangeNotifier {
  /** Tells this server's own messages apart from the others'. */
  private readonly origin = randomBytes(8).toString("hex");
  private readonly channel: string;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private onChange: ((environmentId: string, revision: number) => void) | undefined;

  constructor(options: RedisChangeNotifierOptions) {
    this.channel = `${options.channelPrefix ?? "tessera:"}${CHANNEL}`;
    const common = {
      // A command is sent on a live connection or not at all: queued while Redis is down, notifications
      // would pile up and arrive late, when the poll has long delivered what they announce.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Subscribed again on every `ready` below, not from ioredis's record of what was subscribed.
      autoResubscribe: false,
      // At most one attempt every two seconds while Redis is unreachable (ioredis's default, spelled out).
      retryStrategy: (times: number) => Math.min(times * 50, 2_000),
    };
    this.publisher = this.connect(options.url, "publisher", common);
    this.subscriber = this.connect(options.url, "subscriber", common);
    this.subscriber.on("ready", () => {
      this.subscriber
        .subscribe(this.channel)
        .catch((error: unknown) =>
          reportBackgroundFailure("subscribing to Redis change notifications failed", error),
        );
    });
    this.subscriber.on("message", (channel: string, message: string) => {
      if (channel !== this.channel || this.onChange === undefined) return;
      const change = parse(message);
      if (change === undefined || change.origin === this.origin) return;
      this.onChange(change.environmentId, change.revision);
    });
  }

  publish(environmentId: string, revision: number): void {
    // Not connected: the outage is already reported, and the poll carries this write.
    if (this.publisher.status !== "ready") return;
    const message = JSON.stringify({ origin: this.origin, environmentId, revision });
    this.publisher.publish(this.channel, message).catch((error: unknown) => this.failed("publisher", error));
  }

  subscribe(onChange: (environmentId: string, revision: number) => void): void {
    this.onChange = onChange;
  }

  async close(): Promise<void> {
    this.onChange = undefined;
    await Promise.all([this.publisher, this.subscriber].map(disconnect));
  }

  /** Connections that are down, reported once per outage. */
  private readonly down = new Set<string>();

  private failed(role: string, error: unknown): void {
    if (this.down.has(role)) return;
    this.down.add(role);
    reportBackgroundFailure(
      `Redis change notifications (${role}) unavailable, retrying (other servers' writes arrive by the poll meanwhile)`,
      error,
    );
  }

  private connect(url: string, role: string, options: object): Redis {
    const connection = new Redis(url, options);
    // Without a listener ioredis prints every failed attempt to stderr.
    connection.on("error", (error: unknown) => this.failed(role, error));
    connection.on("ready", () => this.down.delete(role));
    return connection;
  }
}

/** How long `close` waits for a connection's socket to close. */
const CLOSE_WAIT_MS = 1_000;

/** Closes a connection for good: no reconnection after it, and its socket closed when it had one. */
async function disconnect(connection: Redis): Promise<void> {
  // Between attempts ("reconnecting") there is no socket to wait for, and no "end" comes: disconnect()
  // only cancels the next attempt.
  const open = ["connecting", "connect", "ready"].includes(connection.status);
  // once() rejects on an "error" event, which a socket closing mid-connect may emit: the close goes on.
  const ended = open ? once(connection, "end").catch(() => undefined) : undefined;
  connection.disconnect();
  if (ended === undefined) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
  clearTimeout(timer);
}

function parse(message: string): { origin: string; environmentId: string; revision: number } | undefined {
  try {
    const value = JSON.parse(message) as { origin?: unknown; environmentId?: unknown; revision?: unknown };
    if (
      typeof value.origin === "string" &&
      typeof value.environmentId === "string" &&
      Number.isSafeInteger(value.revision)
    ) {
      return { origin: value.origin, environmentId: value.environmentId, revision: value.revision as number };
    }
  } catch {
    // Not ours: another program on the channel. Ignored.
  }
  return undefined;
}
