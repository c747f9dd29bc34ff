import type { Api } from "../core/types";
import { type AccessGuard, type AccessGuardOptions, createAccessGuard } from "./guard";
import { RemoteJwks } from "./jwks";

export interface AccessSource {
  /** Where Tessera's API answers, e.g. `http://127.0.0.1:4000`. */
  tesseraUrl: string;
  /** A server key with the "decide" right: reads the API definition and verifies API keys. */
  token: string;
  fetch?: typeof fetch;
}

export interface Discovery {
  /** The `iss` tokens carry: Tessera's public URL. */
  issuer: string;
  jwksUri: string;
}

export class AccessLoadError extends Error {
  override name = "AccessLoadError";
}

/** `GET /v1/apis/{key}`: the API definition to enforce, and the environment (the server key's) it is in. */
export async function fetchApi(source: AccessSource, key: string): Promise<Api & { environment: string }> {
  const url = `${trim(source.tesseraUrl)}/v1/apis/${encodeURIComponent(key)}`;
  const body = await getJson(source, url, true);
  if (
    typeof body !== "object" ||
    body === null ||
    (body as Api).key !== key ||
    !Array.isArray((body as Api).operations)
  )
    throw new AccessLoadError(`${url} did not return the API ${key}`);
  // Tokens of every environment share the issuer and keys: without the environment the guard could not
  // refuse another one's, so nothing starts without it.
  const environment = (body as { environment?: unknown }).environment;
  if (typeof environment !== "string" || environment === "")
    throw new AccessLoadError(`${url} did not name the API's environment`);
  return body as Api & { environment: string };
}

/**
 * The issuer and JWKS location, from Tessera's RFC 8414 metadata. An explicit issuer wins over the
 * metadata's (Tessera behind a proxy may not know its public URL); the JWKS URI falls back to the
 * issuer's well-known path when there is no metadata.
 */
export async function discover(
  source: AccessSource,
  overrides: { issuer?: string | undefined; jwksUri?: string | undefined } = {},
): Promise<Discovery> {
  let metadata: { issuer?: unknown; jwks_uri?: unknown } = {};
  try {
    metadata = (await getJson(
      source,
      `${trim(source.tesseraUrl)}/.well-known/oauth-authorization-server`,
      false,
    )) as {
      issuer?: unknown;
    };
  } catch (error) {
    if (!overrides.issuer) throw error;
  }
  const issuer = overrides.issuer ?? (typeof metadata.issuer === "string" ? metadata.issuer : undefined);
  if (!issuer) throw new AccessLoadError("Tessera's metadata names no issuer: give one");
  const jwksUri =
    overrides.jwksUri ??
    (typeof metadata.jwks_uri === "string" ? metadata.jwks_uri : `${trim(issuer)}/.well-known/jwks.json`);
  return { issuer, jwksUri };
}

async function getJson(source: AccessSource, url: string, authenticated: boolean): Promise<unknown> {
  const doFetch = source.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: {
        accept: "application/json",
        ...(authenticated ? { authorization: `Bearer ${source.token}` } : {}),
      },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new AccessLoadError(`cannot reach ${url}: ${error instanceof Error ? error.message : error}`);
  }
  if (!response.ok) {
    const detail = await response.text().catch(() => "");
    throw new AccessLoadError(
      `${url} answered ${response.status}${detail ? `: ${detail.slice(0, 300)}` : ""}`,
    );
  }
  return response.json();
}

function trim(url: string): string {
  return url.replace(/\/+$/, "");
}

export interface LoadAccessGuardOptions
  extends AccessSource,
    Omit<AccessGuardOptions, "api" | "issuer" | "environment" | "jwks" | "jwksUri" | "apiKeys" | "fetch"> {
  /** The API to enforce, `name@major`. */
  api: string;
  /** Overrides for what Tessera's metadata says. */
  issuer?: string;
  jwksUri?: string;
  /** Accept Tessera API keys, verified through Tessera with this cache. Off unless given. */
  apiKeys?: boolean | { cacheSeconds?: number };
}

/**
 * Loads an API's definition and the signing keys from Tessera, then builds its guard: everything a
 * middleware or a gateway needs at start. Rejects when any of it cannot be had, so nothing starts open.
 */
export async function loadAccessGuard(options: LoadAccessGuardOptions): Promise<AccessGuard> {
  const { tesseraUrl, token, fetch: fetchFn, api: key, issuer, jwksUri, apiKeys, ...rest } = options;
  const source: AccessSource = { tesseraUrl, token, fetch: fetchFn };
  const [api, found] = await Promise.all([fetchApi(source, key), discover(source, { issuer, jwksUri })]);
  const jwks = new RemoteJwks(found.jwksUri, { fetch: fetchFn, onError: rest.onError });
  await jwks.refresh();
  return createAccessGuard({
    ...rest,
    api,
    issuer: found.issuer,
    environment: api.environment,
    jwks,
    fetch: fetchFn,
    ...(apiKeys
      ? {
          apiKeys: {
            verifyUrl: `${trim(tesseraUrl)}/v1/keys/verify`,
            serverKey: token,
            cacheSeconds: apiKeys === true ? undefined : apiKeys.cacheSeconds,
          },
        }
      : {}),
  });
}
