import {
  type AccessSource,
  createAccessGuard,
  discover,
  fetchApi,
  RemoteJwks,
} from "@tessera/sdk/middleware";
import type { FastifyInstance } from "fastify";
import { every } from "../services/every";
import { holdTickShape } from "../tick-shape";
import { buildGateway } from "./gateway";

export interface StartGatewayOptions extends AccessSource {
  /** `name@major`. */
  api: string;
  upstream: string;
  host?: string;
  port?: number;
  issuer?: string;
  jwksUri?: string;
  /** Accept Tessera API keys (verified through Tessera, cached). Default true. */
  apiKeys?: boolean;
  /** How long a key verification is reused. Default 5 s: the most a revoked key keeps working. */
  keyCacheSeconds?: number;
  /** Reload the API definition this often; 0 never. Default 60 s. */
  refreshSeconds?: number;
  forwardCredentials?: boolean;
  trustProxy?: boolean;
  logger?: boolean | object;
}

export interface RunningGateway {
  app: FastifyInstance;
  address: string;
  issuer: string;
  close(): Promise<void>;
}

/**
 * Loads the API and the JWKS from Tessera, refusing to start without them (a gateway that cannot enforce
 * must not serve), then listens.
 */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  // As createTessera does: see tick-shape.ts.
  holdTickShape();
  const source: AccessSource = {
    tesseraUrl: options.tesseraUrl,
    token: options.token,
    fetch: options.fetch,
  };
  const [api, found] = await Promise.all([
    fetchApi(source, options.api),
    discover(source, { issuer: options.issuer, jwksUri: options.jwksUri }),
  ]);
  let app: FastifyInstance | undefined;
  const onError = (error: unknown) => app?.log.warn({ err: error }, "enforcement dependency failed");
  const jwks = new RemoteJwks(found.jwksUri, { fetch: options.fetch, onError });
  await jwks.refresh();
  const guard = createAccessGuard({
    api,
    issuer: found.issuer,
    environment: api.environment,
    jwks,
    fetch: options.fetch,
    onError,
    ...(options.apiKeys === false
      ? {}
      : {
          apiKeys: {
            verifyUrl: `${options.tesseraUrl.replace(/\/+$/, "")}/v1/keys/verify`,
            serverKey: options.token,
            cacheSeconds: options.keyCacheSeconds ?? 5,
          },
        }),
  });
  let loadedAt = new Date().toISOString();
  app = await buildGateway({
    guard,
    upstream: options.upstream,
    forwardCredentials: options.forwardCredentials,
    trustProxy: options.trustProxy,
    logger: options.logger,
    health: () => ({ issuer: found.issuer, keys: jwks.size, loadedAt }),
  });

  const refreshMs = (options.refreshSeconds ?? 60) * 1000;
  const reloader =
    refreshMs > 0
      ? every(
          refreshMs,
          "API definition reload",
          async () => {
            guard.setApi(await fetchApi(source, options.api));
            loadedAt = new Date().toISOString();
          },
          // The definition in hand keeps being enforced: a Tessera outage never opens the gateway.
          (error) => app?.log.warn({ err: error }, "API definition reload failed"),
        )
      : undefined;

  const address = await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 8080 });
  return {
    app,
    address,
    issuer: found.issuer,
    close: async () => {
      reloader?.stop();
      await app?.close();
    },
  };
}
