import type { CredentialStore } from "../../storage/credential-store";
import { every, type Periodic } from "../every";

const FLUSH_MS = 1_000;

/**
 * Last-used times, written in batches off the request path: a verification only notes the time in memory,
 * and a timer writes what accumulated. Losing the last second on a crash is acceptable for a hint.
 */
export class LastUsedRecorder {
  private pending = new Map<string, Date>();
  private flusher: Periodic | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly store: CredentialStore) {}

  start(): void {
    this.flusher = every(FLUSH_MS, "last-used write", () => this.flush());
  }

  note(keyId: string, at: Date): void {
    this.pending.set(keyId, at);
  }

  /** Writes what is pending; concurrent calls queue behind each other. */
  flush(): Promise<void> {
    // After the previous write, whether or not it failed: one failure must not stop every later write.
    this.flushing = this.flushing
      .catch(() => {})
      .then(async () => {
        if (this.pending.size === 0) return;
        const batch = [...this.pending].map(([id, at]) => ({ id, at }));
        this.pending = new Map();
        try {
          await this.store.touchApiKeys(batch);
        } catch (error) {
          // Kept for the next turn, unless a newer time for the key has arrived meanwhile.
          for (const { id, at } of batch) if (!this.pending.has(id)) this.pending.set(id, at);
          throw error;
        }
      });
    return this.flushing;
  }

  async stop(): Promise<void> {
    this.flusher?.stop();
    await this.flush().catch(() => {});
  }
}
