import type { Server } from "node:http";

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
 * second signal (a second Ctrl-C, or tsx relaying the one its process group already had) closes the
 * connections still open at once, and never cuts `close` short: a process killed mid-close would leave
 * PGlite's data folder unflushed and locked.
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
