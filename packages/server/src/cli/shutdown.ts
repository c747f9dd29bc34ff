import type { Server } from "node:http";
import { constants } from "node:os";

/** How long the requests in flight get to finish once a shutdown starts. */
export const SHUTDOWN_GRACE_MS = 5_000;

/**
 * Runs `close` (which closes `server` first), and once `graceMs` has passed closes every connection still
 * open: a client that stalls mid-request would otherwise hold the shutdown until Node's own request timeouts
 * end it, a minute or more later.
 */
export async function closeWithin(
  server: Server,
  graceMs: number,
  close: () => Promise<void>,
): Promise<void> {
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await close();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Shuts down on SIGINT or SIGTERM: `close` runs once, then the process exits, 0 (1 if `close` failed). A
 * second signal (a second Ctrl-C, or a supervisor's second SIGTERM) closes the connections still open at
 * once, and never cuts `close` short: a process killed mid-close would leave PGlite's data folder unflushed
 * and locked.
 */
export function closeOnSignals(
  server: Server,
  close: () => Promise<void>,
  onSignal: (signal: NodeJS.Signals) => void = () => {},
): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) {
      server.closeAllConnections();
      return;
    }
    closing = true;
    onSignal(signal);
    closeWithin(server, SHUTDOWN_GRACE_MS, close).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`Shutting down failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: with no listener left, a second signal would end the process where it stands.
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}

/**
 * Keeps a SIGINT or SIGTERM that comes while the service starts (migrations, the first start's database)
 * until it can close cleanly: with no listener, the signal would end the process where it stands, PGlite's
 * files half written. `release` stops holding, and says which signal came, if one did; the caller then
 * raises it again once closeOnSignals listens. A second signal while starting ends the process at once,
 * for a start that hangs (a database that does not answer).
 */
export function holdSignals(): { release(): NodeJS.Signals | undefined } {
  let received: NodeJS.Signals | undefined;
  const hold = (signal: NodeJS.Signals) => {
    if (received !== undefined) process.exit(128 + constants.signals[signal]);
    received = signal;
  };
  process.on("SIGINT", hold);
  process.on("SIGTERM", hold);
  return {
    release() {
      process.off("SIGINT", hold);
      process.off("SIGTERM", hold);
      return received;
    },
  };
}
