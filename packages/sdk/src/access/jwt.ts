import { decodeBase64Url, decodeJsonObject } from "./base64url";
import type { KeySource } from "./jwks";

/** The claims of an access token (RFC 9068), as Tessera issues them. Other claims pass through untouched. */
export interface AccessTokenClaims {
  iss: string;
  sub?: string;
  aud: string | string[];
  exp: number;
  iat?: number;
  nbf?: number;
  jti?: string;
  client_id?: string;
  /** Space-separated. */
  scope?: string;
  tenant_id?: string;
  application_id?: string;
  env?: string;
  [claim: string]: unknown;
}

/** Why a token was refused; each becomes `error="invalid_token"` with its message as the description. */
export type JwtErrorCode =
  | "MALFORMED"
  | "ALG_NOT_ALLOWED"
  | "TYP_INVALID"
  | "KID_MISSING"
  | "KID_UNKNOWN"
  | "SIGNATURE_INVALID"
  | "ISSUER_INVALID"
  | "AUDIENCE_INVALID"
  | "ENVIRONMENT_INVALID"
  | "EXPIRED"
  | "NOT_YET_VALID"
  | "CLAIM_INVALID";

export type JwtResult =
  | { valid: true; claims: AccessTokenClaims; header: JwtHeader }
  | { valid: false; code: JwtErrorCode; message: string };

export interface JwtHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [name: string]: unknown;
}

export interface VerifyJwtOptions {
  issuer: string;
  /** The token must name one of these in `aud`. */
  audience: string | readonly string[];
  /**
   * When given, the token's `env` must be it. Every environment shares the issuer and its keys, and an API
   * of one key (or audience) may exist in several, so the audience alone does not tell them apart.
   */
  environment?: string | undefined;
  jwks: KeySource;
  /** The allow-list; only ES256 is implemented, and it is the default. */
  algorithms?: readonly "ES256"[];
  /** The required `typ` (RFC 9068: `at+jwt`, `application/` prefix allowed). Null accepts any. */
  typ?: string | null;
  /** Slack for `exp`, `nbf` and `iat` against clock skew. Default 30 s. */
  clockToleranceSec?: number;
  /** Milliseconds since the epoch. */
  now?: number;
}

/** Tokens are bounded before anything is decoded: an 8 KiB header is the most any server accepts anyway. */
const MAX_TOKEN_LENGTH = 8192;

const SUPPORTED = new Set(["ES256"]);

/**
 * Verifies a compact JWS access token with WebCrypto. Cheap refusals come first — shape, algorithm (checked
 * against the allow-list before any key is looked up, so `none` and HS256-with-the-public-key never reach
 * crypto), `typ`, issuer, audience, times — then the key by `kid`, then the signature. Refusals are values.
 */
export async function verifyJwt(token: string, options: VerifyJwtOptions): Promise<JwtResult> {
  const allowed = options.algorithms ?? ["ES256"];
  for (const alg of allowed)
    if (!SUPPORTED.has(alg)) throw new TypeError(`verifyJwt: ${alg} is not supported`);

  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH)
    return refuse("MALFORMED", "malformed token");
  const dot1 = token.indexOf(".");
  const dot2 = dot1 === -1 ? -1 : token.indexOf(".", dot1 + 1);
  if (dot1 <= 0 || dot2 === -1 || token.indexOf(".", dot2 + 1) !== -1)
    return refuse("MALFORMED", "the token is not a compact JWS");
  const header = decodeJsonObject(token.slice(0, dot1)) as JwtHeader | undefined;
  if (!header || typeof header.alg !== "string") return refuse("MALFORMED", "malformed token header");
  if (!(allowed as readonly string[]).includes(header.alg))
    return refuse("ALG_NOT_ALLOWED", `algorithm ${header.alg} is not allowed`);
  // A critical extension we do not implement must make the token fail (RFC 7515 §4.1.11).
  if (header.crit !== undefined) return refuse("MALFORMED", "unsupported critical header parameters");
  if (options.typ !== null && !typOk(header.typ, options.typ ?? "at+jwt"))
    return refuse("TYP_INVALID", "the token is not an access token (typ)");
  if (typeof header.kid !== "string" || header.kid === "")
    return refuse("KID_MISSING", "the token names no key");

  const claims = decodeJsonObject(token.slice(dot1 + 1, dot2)) as AccessTokenClaims | undefined;
  if (!claims) return refuse("MALFORMED", "malformed token payload");
  const problem = checkClaims(claims, options);
  if (problem) return problem;

  const signature = decodeBase64Url(token.slice(dot2 + 1));
  // ES256 signatures are r||s, 32 bytes each (RFC 7518 §3.4): exactly what WebCrypto's ECDSA verify takes.
  if (signature?.length !== 64) return refuse("SIGNATURE_INVALID", "invalid signature");
  const key = await options.jwks.getKey(header.kid, header.alg);
  if (!key) return refuse("KID_UNKNOWN", "the token's key is unknown");
  const ok = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    signature,
    new TextEncoder().encode(token.slice(0, dot2)),
  );
  if (!ok) return refuse("SIGNATURE_INVALID", "invalid signature");
  return { valid: true, claims, header };
}

function typOk(typ: unknown, required: string): boolean {
  if (typeof typ !== "string") return false;
  const t = typ.toLowerCase();
  const r = required.toLowerCase();
  return t === r || t === `application/${r}`;
}

function checkClaims(claims: AccessTokenClaims, options: VerifyJwtOptions): JwtResult | undefined {
  if (claims.iss !== options.issuer) return refuse("ISSUER_INVALID", "the token comes from another issuer");
  const audiences = typeof options.audience === "string" ? [options.audience] : options.audience;
  const aud = claims.aud;
  const audOk =
    typeof aud === "string"
      ? audiences.includes(aud)
      : Array.isArray(aud) && aud.some((a) => typeof a === "string" && audiences.includes(a));
  if (!audOk) return refuse("AUDIENCE_INVALID", "the token is for another audience");
  if (options.environment !== undefined && claims.env !== options.environment)
    return refuse("ENVIRONMENT_INVALID", "the token is for another environment");

  const now = (options.now ?? Date.now()) / 1000;
  const tolerance = options.clockToleranceSec ?? 30;
  if (!isTime(claims.exp)) return refuse("CLAIM_INVALID", "the token has no expiry");
  if (now >= claims.exp + tolerance) return refuse("EXPIRED", "the token has expired");
  if (claims.nbf !== undefined && (!isTime(claims.nbf) || now < claims.nbf - tolerance))
    return refuse("NOT_YET_VALID", "the token is not valid yet");
  if (claims.iat !== undefined && (!isTime(claims.iat) || now < claims.iat - tolerance))
    return refuse("NOT_YET_VALID", "the token was issued in the future");
  if (claims.scope !== undefined && typeof claims.scope !== "string")
    return refuse("CLAIM_INVALID", "the scope claim must be a string");
  for (const name of ["sub", "client_id", "tenant_id", "application_id", "jti"] as const) {
    if (claims[name] !== undefined && typeof claims[name] !== "string")
      return refuse("CLAIM_INVALID", `the ${name} claim must be a string`);
  }
  return undefined;
}

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function refuse(code: JwtErrorCode, message: string): JwtResult {
  return { valid: false, code, message };
}

/** The scopes of a token's space-separated `scope` claim. */
export function scopesOf(claims: AccessTokenClaims): string[] {
  return typeof claims.scope === "string" ? claims.scope.split(" ").filter((s) => s !== "") : [];
}
