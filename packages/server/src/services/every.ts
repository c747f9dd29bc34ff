/**
 * How a service that keeps an in-memory index of stored records starts. `poll` (the default) re-reads the
 * records every few seconds, for the writes of other processes; without it the index follows this
 * process's own writes only, which is all there is when no other process can write the database.
 */
export interface PollOptions {
  poll?: boolean;
}

/** A task that runs in the background until stopped. */
export interface Periodic {
  /** No more runs; resolves once a run still going has finished (before what it uses is closed, say). */
  stop(): Promise<void>;
}

/**
 * Runs `task` every `ms` milliseconds, one run at a time, on a timer that never keeps the process alive.
 * A run that fails (the database unreachable, say) is retried at the next turn and reported rather than
 * swallowed: a refresh that keeps failing leaves the server answering from older data, and whoever runs it
 * should hear of it. `onError` reports elsewhere (a logger); by default it is a process warning.
 */
export function every(
  ms: number,
  name: string,
  task: () => Promise<unknown>,
  onError: (error: unknown) => void = (error) =>
    reportBackgroundFailure(`${name} failed; retrying in ${ms} ms`, error),
): Periodic {
  // A run still going at its next turn (a slow database) is left to finish: runs never overlap, so an
  // older refresh can never land after a newer one.
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = task()
      .then(() => undefined, onError)
      .finally(() => {
        running = undefined;
      });
  }, ms);
  timer.unref?.();
  return {
    stop: () => {
      clearInterval(timer);
      return running ?? Promise.resolve();
    },
  };
}

/**
 * Reports a failure of background work as a process warning (code TESSERA_BACKGROUND), which Node prints to
 * stderr. It names the work and the error's message, never the data the work carried.
 */
export function reportBackgroundFailure(what: string, error: unknown): void {
  const reason = error instanceof Error ? error.message : String(error);
  process.emitWarning(`${what}: ${reason}`, { code: "TESSERA_BACKGROUND" });
}
