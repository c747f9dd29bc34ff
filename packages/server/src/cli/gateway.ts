import { LOG_LEVELS } from "../config";
import { startGateway } from "../gateway/start";
import { logOptions } from "./log-options";
import { closeOnSignals } from "./shutdown";

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
  // pino's own refusal of a word it does not know is "default level:loud must be included in custom levels".
  if (!LOG_LEVELS.includes(flags.logLevel))
    throw new Error(`--log-level takes one of ${LOG_LEVELS.join(", ")}, not "${flags.logLevel}"`);
  const port = integer(flags.port, "--port");
  if (port > 65535) throw new Error(`--port takes a port number, 0 to 65535, not "${flags.port}"`);
  const gateway = await startGateway({
    api: flags.api,
    upstream: httpUrl(flags.upstream, "--upstream"),
    host: flags.host,
    port,
    tesseraUrl: httpUrl(flags.tesseraUrl, "--tessera-url"),
    token: flags.token,
    issuer: flags.issuer,
    jwksUri: flags.jwksUri,
    apiKeys: flags.apiKeys,
    keyCacheSeconds: integer(flags.keyCache, "--key-cache"),
    refreshSeconds: integer(flags.refresh, "--refresh"),
    forwardCredentials: flags.forwardCredentials ?? false,
    trustProxy: flags.trustProxy ?? false,
    logger: logOptions(flags.logLevel, ["req.headers.authorization", 'req.headers["x-api-key"]']),
  });
  // Before "listening" is said, as serve does: whoever waits for it may signal at once.
  closeOnSignals(gateway.app.server, () => gateway.close());
  console.log(`Tessera gateway for ${flags.api} listening on ${gateway.address} → ${flags.upstream}`);
  console.log(`  issuer: ${gateway.issuer}   health: ${gateway.address}/_gateway/health`);
}

function integer(value: string, flag: string): number {
  // Number("") is 0: an empty --port would listen on any free port.
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} takes a whole number, not "${value}"`);
  return n;
}

/** Refused here rather than as a bare "Invalid URL", which names neither the flag nor the value. */
function httpUrl(value: string, flag: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    throw new Error(`${flag} takes an http:// or https:// URL, not "${value}"`);
  return value;
}
