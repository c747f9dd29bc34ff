import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";
import { SIGNING_ALG } from "./signing-keys";

/** The claims of a Tessera access token (RFC 9068 and ours). */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope: string;
  tenant_id: string;
  application_id: string;
  env: string;
}

export type TokenRefusal =
  | "MALFORMED"
  | "ALG_NOT_ALLOWED"
  | "WRONG_TYPE"
  | "UNKNOWN_KEY"
  | "BAD_SIGNATURE"
  | "EXPIRED"
  | "WRONG_ISSUER"
  | "WRONG_AUDIENCE"
  | "MISSING_CLAIM";

export type TokenVerification =
  | { valid: true; claims: AccessTokenClaims }
  | { valid: false; code: TokenRefusal };

export interface VerifyOptions {
  issuer: string;
  jwks: JSONWebKeySet;
  /** When given, `aud` must be (or contain) it. */
  audience?: string | undefined;
  at?: Date | undefined;
}

const REQUIRED = ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"] as const;

/**
 * Verifies an access token the way every verifier must: ES256 only (so `none` and HS256-with-the-public-key
 * are refused before any key is used), `typ` at+jwt, a key from the JWKS by kid, our issuer, the audience
 * if one is expected, not expired, and every claim present. A refusal is a value with a stable code.
 */
export async function verifyAccessToken(token: string, options: VerifyOptions): Promise<TokenVerification> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(options.jwks), {
      algorithms: [SIGNING_ALG],
      typ: "at+jwt",
      issuer: options.issuer,
      ...(options.audience !== undefined ? { audience: options.audience } : {}),
      requiredClaims: [...REQUIRED],
      ...(options.at ? { currentDate: options.at } : {}),
    });
    if (typeof payload.aud !== "string" || typeof payload.client_id !== "string") {
      return { valid: false, code: "MISSING_CLAIM" };
    }
    return { valid: true, claims: payload as AccessTokenClaims };
  } catch (error) {
    return { valid: false, code: refusalOf(error) };
  }
}

function refusalOf(error: unknown): TokenRefusal {
  if (error instanceof errors.JWTExpired) return "EXPIRED";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return "WRONG_ISSUER";
    if (error.claim === "aud") return "WRONG_AUDIENCE";
    if (error.claim === "typ") return "WRONG_TYPE";
    return "MISSING_CLAIM";
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return "ALG_NOT_ALLOWED";
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return "UNKNOWN_KEY";
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "BAD_SIGNATURE";
  return "MALFORMED";
}
