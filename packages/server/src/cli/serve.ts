import type { Config } from "../config";
import { createTessera, type Tessera } from "../server";
import { logOptions } from "./log-options";
import { closeOnSignals, holdSignals } from "./shutdown";

export async function runServe(config: Config): Promise<void> {
  const held = holdSignals();
  let tessera: Tessera;
  try {
    tessera = await createTessera({
      ...config,
      logger: logOptions(config.logLevel, ["req.headers.authorization", "req.headers.cookie"]),
    });
  } catch (error) {
    held.release();
    throw error;
  }
  let address: string;
  try {
    address = await tessera.app.listen({ host: config.host, port: config.port });
  } catch (error) {
    held.release();
    // The first start has already made the token, and the next start is no longer a first: shown now, or
    // never (the port was taken, say).
    if (tessera.bootstrap) console.log(firstStart(tessera.bootstrap, undefined).join("\n"));
    await tessera.close();
    throw error;
  }
  const storage = config.databaseUrl ? "PostgreSQL" : `PGlite in ${config.dataDir}`;
  // One write, so whoever waits for "listening" (a supervisor, the end-to-end tests) has the token too:
  // line by line, a reader on the pipe could see the first line before the rest.
  const lines = [
    `Tessera listening on ${address} (storage: ${storage})`,
    `  API docs: ${address}/docs   OpenAPI: ${address}/openapi.json`,
  ];
  if (tessera.bootstrap) lines.push("", ...firstStart(tessera.bootstrap, address));
  // Before "listening" is said: whoever waits for it may signal at once, and a signal with no handler
  // yet ends the process where it stands, PGlite unflushed.
  closeOnSignals(
    tessera.app.server,
    () => tessera.close(),
    (signal) => tessera.app.log.info({ signal }, "shutting down"),
  );
  // A signal that came while starting: raised again now that it closes the service (after this line).
  const pending = held.release();
  if (pending !== undefined) process.kill(process.pid, pending);
  console.log(lines.join("\n"));
}

/** What a first start says: the environments it made, and the management token, shown this once. */
function firstStart(bootstrap: NonNullable<Tessera["bootstrap"]>, address: string | undefined): string[] {
  const { environment, token } = bootstrap;
  const lines = [
    `First start: created environments "development" and "production".`,
    `Management token for "${environment.key}" (shown once, store it now):`,
    `  ${token}`,
  ];
  if (address !== undefined)
    lines.push("", `Try: curl -H "Authorization: Bearer ${token}" ${address}/v1/features`);
  return lines;
}
