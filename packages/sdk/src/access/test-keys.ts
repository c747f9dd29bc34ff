import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import type { Jwk } from "./jwks";

/** An ES256 signing key and its public JWK, for tests that mint tokens with jose. */
export interface TestSigner {
  kid: string;
  jwk: Jwk;
  spki: string;
  sign(claims: JWTPayload, header?: Record<string, unknown>): Promise<string>;
}

export const ISSUER = "https://tessera.test";
export const AUDIENCE = "payments@1";

export async function testSigner(kid = "k1"): Promise<TestSigner> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } as Jwk;
  return {
    kid,
    jwk,
    spki: await exportSPKI(publicKey),
    sign: (claims, header = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt", ...header })
        .sign(privateKey),
  };
}

/** The claims Tessera's token endpoint puts in an access token, valid for five minutes from now. */
export function accessClaims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    sub: "client-1",
    aud: AUDIENCE,
    iat: now,
    exp: now + 300,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    client_id: "client-1",
    scope: "payments:read",
    tenant_id: "acme",
    application_id: "app-1",
    env: "development",
    ...overrides,
  };
}
