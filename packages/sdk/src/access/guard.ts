import type { RouteTable } from "../core/routes";
import type { Api, ApiOperationRule } from "../core/types";
import {
  ApiKeyVerifier,
  type ApiKeyVerifierOptions,
  type KeyVerification,
  looksLikeApiKey,
} from "./api-keys";
import { ExpiringCache } from "./cache";
import { type JsonWebKeySet, type KeySource, LocalJwks, RemoteJwks } from "./jwks";
import { type AccessTokenClaims, scopesOf, verifyJwt } from "./jwt";
import { compileApiRoutes, findOperation } from "./routes";
import { checkScopes } from "./scopes";

/** Node's lower-cased header record, or a Fetch `Headers`. */
export type HeadersLike =
  | { get(name: string): string | null }
  | Record<string, string | readonly string[] | undefined>;

export type AccessError =
  | "access_denied"
  | "invalid_token"
  | "insufficient_scope"
  | "temporarily_unavailable";

/** Why a request passed or not. The decision reason codes where they apply, and the credential's own. */
export type AccessReason =
  | "ENTITLED"
  | "ROUTE_NOT_FOUND"
  | "SCOPE_MISSING"
  | "CREDENTIAL_MISSING"
  | "TOKEN_INVALID"
  | "API_KEY_INVALID"
  | "UNAVAILABLE";

export interface AccessOutcome {
  allowed: boolean;
  status: 200 | 401 | 403 | 503;
  reason: AccessReason;
  /** For refusals: the body's `error` and `message`, and the WWW-Authenticate header (RFC 6750 §3). */
  error?: AccessError;
  message?: string;
  wwwAuthenticate?: string;
  credential?: "jwt" | "api_key";
  /** A JWT's verified claims. */
  claims?: AccessTokenClaims;
  tenantId?: string;
  applicationId?: string;
  clientId?: string;
  /** The scopes the credential holds. */
  scopes?: readonly string[];
  /** Allowed: the alternative that matched. Refused for scope: the nearest alternative. */
  requiredScopes?: readonly string[];
  /** The matched operation's name. */
  operation?: string;
}

export interface AccessGuardOptions {
  /** The API this guard protects, as `GET /v1/apis/{key}` returns it. */
  api: Api;
  /** Tessera's public URL: the `iss` every token must carry. */
  issuer: string;
  /** Keys to verify with: a key source, an inline set, or the set's URL (default `<issuer>/.well-known/jwks.json`). */
  jwks?: KeySource | JsonWebKeySet;
  jwksUri?: string;
  /** Accepted `aud` values; default the API's audience, else its key. */
  audience?: string | readonly string[];
  /**
   * The environment whose tokens are accepted: a token's `env` must be it. Every environment shares the
   * issuer and its keys, so without it a token for an API of the same key in another environment passes.
   * `loadAccessGuard` and the gateway take it from Tessera's answer for the API (the server key's).
   */
  environment?: string;
  /** Accept Tessera API keys too (`x-api-key`, or `Authorization: Bearer tsr_…`), verified through Tessera. */
  apiKeys?: ApiKeyVerifierOptions | ApiKeyVerifier;
  /** The realm in WWW-Authenticate; default the API's key. */
  realm?: string;
  clockToleranceSec?: number;
  /** How many verified tokens are remembered (until they expire). Default 10 000. */
  tokenCacheSize?: number;
  fetch?: typeof fetch;
  now?: () => number;
  /** Sees failures that became a 503 (Tessera unreachable for a key check) and JWKS fetch errors. */
  onError?: (error: unknown) => void;
}

export interface AccessRequestContext {
  /** The caller's address, passed to key verification for keys limited to some addresses. */
  ip?: string | undefined;
}

export interface AccessGuard {
  (
    method: string,
    path: string,
    headers: HeadersLike,
    context?: AccessRequestContext,
  ): Promise<AccessOutcome>;
  /** The API now enforced. */
  readonly api: Api;
  /** Swaps in a new definition of the same API (a reload); verified tokens stay cached unless the audience changed. */
  setApi(api: Api): void;
}

/** What a verified credential grants, computed once per token (or key answer) and reused on every hit. */
interface Grant {
  credential: "jwt" | "api_key";
  claims: AccessTokenClaims | undefined;
  tenantId: string | undefined;
  applicationId: string | undefined;
  clientId: string | undefined;
  scopes: readonly string[];
  held: ReadonlySet<string>;
}

/**
 * Enforces an API's operations with zero calls to Tessera per request: the route table is compiled once,
 * JWTs are verified locally against the cached JWKS, and a verified token is remembered until it expires,
 * so a repeat costs a map lookup and a scope check. API keys are the exception: Tessera answers those,
 * behind a short cache. Deny by default: an unknown route, a missing or bad credential, a failed check —
 * nothing but a matched operation with enough scope gets through.
 */
export function createAccessGuard(options: AccessGuardOptions): AccessGuard {
  if (!options.issuer) throw new TypeError("createAccessGuard: issuer is required");
  let api = options.api;
  let table: RouteTable<ApiOperationRule> = compileApiRoutes(api);
  const jwks = keySource(options);
  let audience = options.audience ?? api.audience ?? api.key;
  const tolerance = options.clockToleranceSec ?? 30;
  const now = options.now ?? Date.now;
  const tokens = new ExpiringCache<Grant>(options.tokenCacheSize ?? 10_000);
  const keys =
    options.apiKeys instanceof ApiKeyVerifier
      ? options.apiKeys
      : options.apiKeys
        ? new ApiKeyVerifier({ fetch: options.fetch, now, ...options.apiKeys })
        : undefined;
  const realm = `Bearer realm="${quote(options.realm ?? api.key)}"`;

  const invalid = (description: string, reason: AccessReason = "TOKEN_INVALID"): AccessOutcome =>
    refuse(
      401,
      reason,
      "invalid_token",
      reason === "API_KEY_INVALID" ? "The API key is not valid." : "The access token is not valid.",
      `${realm}, error="invalid_token", error_description="${quote(description)}"`,
    );

  const decide = (operation: ApiOperationRule | undefined, grant: Grant): AccessOutcome => {
    if (!operation) {
      return withGrant(
        refuse(403, "ROUTE_NOT_FOUND", "access_denied", "No operation matches the request."),
        grant,
      );
    }
    const verdict = checkScopes(operation.alternatives, grant.held);
    if (verdict.ok) {
      // One literal, no spreads: this is the path every repeat request takes.
      return {
        allowed: true,
        status: 200,
        reason: "ENTITLED",
        credential: grant.credential,
        claims: grant.claims,
        tenantId: grant.tenantId,
        applicationId: grant.applicationId,
        clientId: grant.clientId,
        scopes: grant.scopes,
        requiredScopes: verdict.matched,
        operation: operation.name,
      };
    }
    const header = `${realm}, error="insufficient_scope", scope="${quote(verdict.nearest.join(" "))}"`;
    const outcome = withGrant(
      refuse(
        403,
        "SCOPE_MISSING",
        "insufficient_scope",
        "The credential lacks a scope this operation requires.",
        header,
      ),
      grant,
    );
    outcome.operation = operation.name;
    outcome.requiredScopes = verdict.nearest;
    return outcome;
  };

  const verifyToken = async (
    operation: ApiOperationRule | undefined,
    token: string,
  ): Promise<AccessOutcome> => {
    if (!TOKEN68.test(token)) return invalid("the bearer token is malformed");
    const result = await verifyJwt(token, {
      issuer: options.issuer,
      audience,
      environment: options.environment,
      jwks,
      clockToleranceSec: tolerance,
      now: now(),
    });
    if (!result.valid) return invalid(result.message);
    const c = result.claims;
    const scopes = scopesOf(c);
    const grant: Grant = {
      credential: "jwt",
      claims: c,
      tenantId: c.tenant_id,
      applicationId: c.application_id,
      clientId: c.client_id ?? c.sub,
      scopes,
      held: new Set(scopes),
    };
    tokens.set(token, grant, (c.exp + tolerance) * 1000);
    return decide(operation, grant);
  };

  const verifyKey = async (
    operation: ApiOperationRule | undefined,
    key: string,
    ip: string | undefined,
  ): Promise<AccessOutcome> => {
    let answer: KeyVerification;
    try {
      answer = await keys!.verify(key, ip);
    } catch (error) {
      options.onError?.(error);
      return {
        allowed: false,
        status: 503,
        reason: "UNAVAILABLE",
        error: "temporarily_unavailable",
        message: "The API key could not be checked. Try again later.",
      };
    }
    if (answer.valid !== true) return invalid("the API key is not valid", "API_KEY_INVALID");
    // A key belongs to one API; an answer that does not name this one is no permission for it.
    if (answer.api !== api.key) return invalid("the API key is for another API", "API_KEY_INVALID");
    const scopes = Array.isArray(answer.scopes) ? answer.scopes.filter((s) => typeof s === "string") : [];
    return decide(operation, {
      credential: "api_key",
      claims: undefined,
      tenantId: answer.tenantId ?? undefined,
      applicationId: answer.applicationId ?? undefined,
      clientId: undefined,
      scopes,
      held: new Set(scopes),
    });
  };

  // Not async: a cached token is answered without awaiting anything, one resolved promise and done.
  const guard = ((method, path, headers, context) => {
    const operation = findOperation(table, method, path);
    // Public operations need no credential; one that was sent anyway is not looked at.
    if (operation && operation.alternatives.length === 0) {
      return Promise.resolve<AccessOutcome>({
        allowed: true,
        status: 200,
        reason: "ENTITLED",
        operation: operation.name,
        requiredScopes: [],
      });
    }
    const credential = credentialOf(headers, keys !== undefined);
    // Without a credential the answer is the same 401 whether the route exists or not: no route enumeration.
    if (credential.kind === "none")
      return Promise.resolve(
        refuse(401, "CREDENTIAL_MISSING", "access_denied", "A bearer token is required.", realm),
      );
    if (credential.kind === "malformed") return Promise.resolve(invalid(credential.message));
    if (credential.kind === "api_key") return verifyKey(operation, credential.value, context?.ip);
    const cached = tokens.get(credential.value, now());
    if (cached) return Promise.resolve(decide(operation, cached));
    return verifyToken(operation, credential.value);
  }) as AccessGuard;

  Object.defineProperty(guard, "api", { get: () => api, enumerable: true });
  guard.setApi = (next: Api) => {
    if (next.key !== api.key) throw new TypeError(`setApi: expected ${api.key}, got ${next.key}`);
    const compiled = compileApiRoutes(next);
    api = next;
    table = compiled;
    // Tokens already verified were for the old audience; a changed audience must not keep honouring them.
    const nextAudience = options.audience ?? next.audience ?? next.key;
    if (nextAudience !== audience) {
      audience = nextAudience;
      tokens.clear();
    }
  };
  return guard;
}

function withGrant(outcome: AccessOutcome, grant: Grant): AccessOutcome {
  outcome.credential = grant.credential;
  if (grant.claims) outcome.claims = grant.claims;
  if (grant.tenantId !== undefined) outcome.tenantId = grant.tenantId;
  if (grant.applicationId !== undefined) outcome.applicationId = grant.applicationId;
  if (grant.clientId !== undefined) outcome.clientId = grant.clientId;
  outcome.scopes = grant.scopes;
  return outcome;
}

function refuse(
  status: 401 | 403,
  reason: AccessReason,
  error: AccessError,
  message: string,
  wwwAuthenticate?: string,
): AccessOutcome {
  return {
    allowed: false,
    status,
    reason,
    error,
    message,
    ...(wwwAuthenticate === undefined ? {} : { wwwAuthenticate }),
  };
}

function keySource(options: AccessGuardOptions): KeySource {
  const given = options.jwks;
  if (given && typeof (given as KeySource).getKey === "function") return given as KeySource;
  if (given) return new LocalJwks(given as JsonWebKeySet);
  const uri = options.jwksUri ?? `${options.issuer.replace(/\/$/, "")}/.well-known/jwks.json`;
  return new RemoteJwks(uri, { fetch: options.fetch, onError: options.onError });
}

type Credential =
  | { kind: "none"; value?: undefined }
  | { kind: "malformed"; message: string; value?: undefined }
  | { kind: "jwt"; value: string }
  | { kind: "api_key"; value: string };

/** RFC 6750 §2.1's token68; checked on a cache miss only, since only verified tokens are ever cached. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

function credentialOf(headers: HeadersLike, acceptKeys: boolean): Credential {
  const authorization = headerOf(headers, "authorization");
  if (authorization === null) return { kind: "malformed", message: "more than one Authorization header" };
  if (authorization !== undefined) {
    const token = bearerOf(authorization);
    if (token === undefined)
      return { kind: "malformed", message: "the Authorization header is not a bearer token" };
    if (looksLikeApiKey(token)) {
      return acceptKeys && TOKEN68.test(token)
        ? { kind: "api_key", value: token }
        : { kind: "malformed", message: "API keys are not accepted" };
    }
    return { kind: "jwt", value: token };
  }
  if (!acceptKeys) return { kind: "none" };
  const key = headerOf(headers, "x-api-key");
  if (key === null) return { kind: "malformed", message: "more than one x-api-key header" };
  if (key === undefined || key === "") return { kind: "none" };
  if (!looksLikeApiKey(key) || !TOKEN68.test(key))
    return { kind: "malformed", message: "the x-api-key header is not a Tessera API key" };
  return { kind: "api_key", value: key };
}

/** `Bearer` in any case, one or more spaces, then the token (trailing spaces dropped); by hand, not regex. */
function bearerOf(header: string): string | undefined {
  if (header.length < 8) return undefined;
  // "bearer" by char code, case-insensitively: `| 0x20` lower-cases ASCII letters.
  if (
    (header.charCodeAt(0) | 0x20) !== 98 ||
    (header.charCodeAt(1) | 0x20) !== 101 ||
    (header.charCodeAt(2) | 0x20) !== 97 ||
    (header.charCodeAt(3) | 0x20) !== 114 ||
    (header.charCodeAt(4) | 0x20) !== 101 ||
    (header.charCodeAt(5) | 0x20) !== 114 ||
    header.charCodeAt(6) !== 32
  )
    return undefined;
  let start = 7;
  while (header.charCodeAt(start) === 32) start++;
  let end = header.length;
  while (end > start && header.charCodeAt(end - 1) === 32) end--;
  if (end === start) return undefined;
  return start === 7 && end === header.length ? header.slice(7) : header.slice(start, end);
}

/** A header's one value; null when it was sent more than once (ambiguous, so refused). */
function headerOf(headers: HeadersLike, name: string): string | undefined | null {
  if (typeof (headers as { get?: unknown }).get === "function") {
    const value = (headers as { get(name: string): string | null }).get(name);
    // Fetch joins repeated headers with ", "; a credential never contains one.
    if (value === null) return undefined;
    return value.includes(", ") ? null : value;
  }
  const value = (headers as Record<string, string | readonly string[] | undefined>)[name];
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  return value.length === 1 ? value[0]! : null;
}

/** Header parameter values are quoted-strings: escape what would end one. */
function quote(value: string): string {
  return value.replace(/[\\"]/g, "\\$&").replace(/[\r\n]/g, " ");
}
