import type { Config } from "../config";
import { createTessera } from "../server";

export async function runServe(config: Config): Promise<void> {
  const tessera = await createTessera({
    ...config,
    logger: {
      level: config.logLevel,
      // Credentials never reach the log, whatever a future log line includes.
      redact: ["req.headers.authorization", "req.headers.cookie", "token", "secret"],
    },
  });
  const address = await tessera.app.listen({ host: config.host, port: config.port });
  const storage = config.databaseUrl ? "PostgreSQL" : `PGlite in ${config.dataDir}`;
  // One write, so whoever waits for "listening" (a supervisor, the end-to-end tests) has the token too:
  // line by line, a reader on the pipe could see the first line before the rest.
  const lines = [
    `Tessera listening on ${address} (storage: ${storage})`,
    `  API docs: ${address}/docs   OpenAPI: ${address}/openapi.json`,
  ];
  if (tessera.bootstrap) {
    const { environment, token } = tessera.bootstrap;
    lines.push(
      "",
      `First start: created environments "development" and "production".`,
      `Management token for "${environment.key}" (shown once, store it now):`,
      `  ${token}`,
      "",
      `Try: curl -H "Authorization: Bearer ${token}" ${address}/v1/features`,
    );
  }
  console.log(lines.join("\n"));
  const stop = async (signal: string) => {
    tessera.app.log.info({ signal }, "shutting down");
    await tessera.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}
