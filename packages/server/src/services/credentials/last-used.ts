import type { CredentialStore } from "../../storage/credential-store";

const FLUSH_MS = 1_000;

/**
 * Last-used times, written in batches off the request path: a verification only notes the time in memory,
 * and a timer writes what accumulated. Losing the last second on a crash is acceptable for a hint.
 */
export class LastUsedRecorder {
  private pending = new Map<string, Date>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly store: CredentialStore) {}

  start(): void {
    this.timer = setInterval(() => void this.flush().catch(() => {}), FLUSH_MS);
    this.timer.unref?.();
  }

  note(keyId: string, at: Date): void {
    this.pending.set(keyId, at);
  }

  /** Writes what is pending; concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = [...this.pending].map(([id, at]) => ({ id, at }));
      this.pending = new Map();
      await this.store.touchApiKeys(batch);
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => {});
  }
}
