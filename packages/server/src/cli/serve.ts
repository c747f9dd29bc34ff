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
  console.log(`Tessera listening on ${address} (storage: ${storage})`);
  console.log(`  API docs: ${address}/docs   OpenAPI: ${address}/openapi.json`);
  if (tessera.bootstrap) {
    console.log("");
    console.log(`First start: created environments "development" and "production".`);
    console.log(`Management token for "${tessera.bootstrap.environment.key}" (shown once, store it now):`);
    console.log(`  ${tessera.bootstrap.token}`);
    console.log("");
    console.log(`Try: curl -H "Authorization: Bearer ${tessera.bootstrap.token}" ${address}/v1/features`);
  }
  const stop = async (signal: string) => {
    tessera.app.log.info({ signal }, "shutting down");
    await tessera.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}
