import { createHmac } from "node:crypto";
import { exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyAccessToken } from "./verify-token";

const ISSUER = "http://tessera.test";
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("verifyAccessToken refuses what it must", () => {
  let jwks: JSONWebKeySet;
  let privateKey: CryptoKey;
  const kid = "k1";
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    client_id: "app_1",
    scope: "payments:read",
    tenant_id: "acme",
    application_id: "app_1",
    env: "development",
  };
  const sign = (over: { iss?: string; aud?: string; exp?: number; typ?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid, typ: over.typ ?? "at+jwt" })
      .setIssuer(over.iss ?? ISSUER)
      .setSubject("app_1")
      .setAudience(over.aud ?? "payments@1")
      .setIssuedAt(now)
      .setExpirationTime(over.exp ?? now + 900)
      .setJti("jti-1")
      .sign(privateKey);
  const verify = (token: string, audience?: string) =>
    verifyAccessToken(token, { issuer: ISSUER, jwks, audience });

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256", { extractable: true });
    privateKey = pair.privateKey;
    jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: "ES256", use: "sig" }] };
  });

  it("accepts a good token", async () => {
    const result = await verify(await sign(), "payments@1");
    expect(result).toMatchObject({ valid: true, claims: { client_id: "app_1", aud: "payments@1" } });
  });

  it("alg: none", async () => {
    const payload = {
      ...claims,
      iss: ISSUER,
      sub: "app_1",
      aud: "payments@1",
      exp: now + 900,
      iat: now,
      jti: "x",
    };
    const token = `${b64({ alg: "none", typ: "at+jwt", kid })}.${b64(payload)}.`;
    expect(await verify(token)).toMatchObject({ valid: false });
  });

  it("HS256 signed with the public key", async () => {
    const payload = {
      ...claims,
      iss: ISSUER,
      sub: "app_1",
      aud: "payments@1",
      exp: now + 900,
      iat: now,
      jti: "x",
    };
    const input = `${b64({ alg: "HS256", typ: "at+jwt", kid })}.${b64(payload)}`;
    const secret = JSON.stringify(jwks.keys[0]);
    const token = `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
    expect(await verify(token)).toEqual({ valid: false, code: "ALG_NOT_ALLOWED" });
  });

  it("another issuer or audience", async () => {
    expect(await verify(await sign({ iss: "http://evil.test" }))).toEqual({
      valid: false,
      code: "WRONG_ISSUER",
    });
    expect(await verify(await sign({ aud: "ledger@1" }), "payments@1")).toEqual({
      valid: false,
      code: "WRONG_AUDIENCE",
    });
  });

  it("expired", async () => {
    expect(await verify(await sign({ exp: now - 120 }))).toEqual({ valid: false, code: "EXPIRED" });
  });

  it("a tampered payload", async () => {
    const [header, , signature] = (await sign()).split(".");
    const forged = b64({ ...claims, scope: "payments:read payments:write", iss: ISSUER, aud: "payments@1" });
    expect(await verify(`${header}.${forged}.${signature}`)).toMatchObject({ valid: false });
    const [h, p, s] = (await sign()).split(".");
    const flipped = `${s!.slice(0, -2)}${s!.endsWith("AA") ? "BB" : "AA"}`;
    expect(await verify(`${h}.${p}.${flipped}`)).toMatchObject({ valid: false });
  });

  it("a key not in the JWKS, and the wrong typ", async () => {
    const other = await generateKeyPair("ES256");
    const foreign = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
      .setIssuer(ISSUER)
      .setSubject("app_1")
      .setAudience("payments@1")
      .setIssuedAt(now)
      .setExpirationTime(now + 900)
      .setJti("j")
      .sign(other.privateKey);
    expect(await verify(foreign)).toEqual({ valid: false, code: "BAD_SIGNATURE" });
    expect(await verify(await sign({ typ: "JWT" }))).toEqual({ valid: false, code: "WRONG_TYPE" });
  });
});
