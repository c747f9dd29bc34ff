import { startGateway } from "../gateway/start";

export interface GatewayFlags {
  api: string;
  upstream: string;
  port: string;
  host: string;
  tesseraUrl: string;
  token?: string;
  issuer?: string;
  jwksUri?: string;
  apiKeys: boolean;
  keyCache: string;
  refresh: string;
  forwardCredentials?: boolean;
  trustProxy?: boolean;
  logLevel: string;
}

/** `tessera gateway`: a reverse proxy enforcing one API's scopes in front of its upstream. */
export async function runGateway(flags: GatewayFlags): Promise<void> {
  if (!flags.token) throw new Error("Give a server key: --token or TESSERA_TOKEN.");
  const gateway = await startGateway({
    api: flags.api,
    upstream: flags.upstream,
    host: flags.host,
    port: integer(flags.port, "--port"),
    tesseraUrl: flags.tesseraUrl,
    token: flags.token,
    issuer: flags.issuer,
    jwksUri: flags.jwksUri,
    apiKeys: flags.apiKeys,
    keyCacheSeconds: integer(flags.keyCache, "--key-cache"),
    refreshSeconds: integer(flags.refresh, "--refresh"),
    forwardCredentials: flags.forwardCredentials ?? false,
    trustProxy: flags.trustProxy ?? false,
    logger: {
      level: flags.logLevel,
      // Credentials never reach the log, whatever a future log line includes.
      redact: ["req.headers.authorization", 'req.headers["x-api-key"]', "token"],
    },
  });
  console.log(`Tessera gateway for ${flags.api} listening on ${gateway.address} → ${flags.upstream}`);
  console.log(`  issuer: ${gateway.issuer}   health: ${gateway.address}/_gateway/health`);
  const stop = async () => {
    await gateway.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

function integer(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} takes a whole number, not "${value}"`);
  return n;
}
