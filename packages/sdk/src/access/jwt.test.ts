import { base64url, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { LocalJwks, RemoteJwks } from "./jwks";
import { type VerifyJwtOptions, verifyJwt } from "./jwt";
import { AUDIENCE, accessClaims, ISSUER, type TestSigner, testSigner } from "./test-keys";

let signer: TestSigner;
let options: VerifyJwtOptions;

beforeAll(async () => {
  signer = await testSigner();
  options = { issuer: ISSUER, audience: AUDIENCE, jwks: new LocalJwks({ keys: [signer.jwk] }) };
});

function encode(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

describe("verifyJwt", () => {
  it("accepts a token Tessera would issue and returns its claims", async () => {
    const result = await verifyJwt(await signer.sign(accessClaims()), options);
    expect(result.valid).toBe(true);
    if (result.valid) {
      expect(result.claims.tenant_id).toBe("acme");
      expect(result.header.kid).toBe("k1");
    }
  });

  it("accepts typ application/at+jwt and an aud array naming the API", async () => {
    const token = await signer.sign(accessClaims({ aud: ["other", AUDIENCE] }), {
      typ: "application/at+jwt",
    });
    expect((await verifyJwt(token, options)).valid).toBe(true);
  });

  it("refuses alg none", async () => {
    const token = `${encode({ alg: "none", typ: "at+jwt", kid: "k1" })}.${encode(accessClaims())}.`;
    expect(await verifyJwt(token, options)).toMatchObject({ valid: false, code: "ALG_NOT_ALLOWED" });
  });

  it("refuses HS256 signed with the public key's bytes, before any crypto", async () => {
    const asJwk = new TextEncoder().encode(JSON.stringify(signer.jwk));
    const asPem = new TextEncoder().encode(signer.spki);
    for (const secret of [asJwk, asPem]) {
      const token = await new SignJWT(accessClaims())
        .setProtectedHeader({ alg: "HS256", kid: "k1", typ: "at+jwt" })
        .sign(secret);
      let looked = false;
      const result = await verifyJwt(token, {
        ...options,
        jwks: {
          getKey: async () => {
            looked = true;
            return undefined;
          },
        },
      });
      expect(result).toMatchObject({ valid: false, code: "ALG_NOT_ALLOWED" });
      expect(looked).toBe(false);
    }
  });

  it("refuses another issuer", async () => {
    const token = await signer.sign(accessClaims({ iss: "https://evil.test" }));
    expect(await verifyJwt(token, options)).toMatchObject({ valid: false, code: "ISSUER_INVALID" });
  });

  it("refuses another audience (a v1 token sent to v2)", async () => {
    const token = await signer.sign(accessClaims());
    expect(await verifyJwt(token, { ...options, audience: "payments@2" })).toMatchObject({
      valid: false,
      code: "AUDIENCE_INVALID",
    });
  });

  it("refuses another environment's token, or one naming none, when an environment is expected", async () => {
    const token = await signer.sign(accessClaims());
    expect((await verifyJwt(token, { ...options, environment: "development" })).valid).toBe(true);
    for (const env of ["development", undefined]) {
      const other = await signer.sign(accessClaims({ env }));
      expect(await verifyJwt(other, { ...options, environment: "production" })).toMatchObject({
        valid: false,
        code: "ENVIRONMENT_INVALID",
      });
    }
  });

  it("refuses an expired token, within the clock tolerance only", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await signer.sign(accessClaims({ iat: now - 600, exp: now - 60 }));
    expect(await verifyJwt(expired, options)).toMatchObject({ valid: false, code: "EXPIRED" });
    expect((await verifyJwt(expired, { ...options, clockToleranceSec: 120 })).valid).toBe(true);
  });

  it("refuses a token not valid yet, and one without exp", async () => {
    const now = Math.floor(Date.now() / 1000);
    const future = await signer.sign(accessClaims({ nbf: now + 600 }));
    expect(await verifyJwt(future, options)).toMatchObject({ valid: false, code: "NOT_YET_VALID" });
    const { exp: _exp, ...noExp } = accessClaims();
    expect(await verifyJwt(await signer.sign(noExp), options)).toMatchObject({
      valid: false,
      code: "CLAIM_INVALID",
    });
  });

  it("refuses a tampered payload", async () => {
    const token = await signer.sign(accessClaims());
    const [header, , signature] = token.split(".");
    const widened = encode({ ...accessClaims(), scope: "payments:read payments:write" });
    expect(await verifyJwt(`${header}.${widened}.${signature}`, options)).toMatchObject({
      valid: false,
      code: "SIGNATURE_INVALID",
    });
  });

  it("refuses a signature from another key under a known kid", async () => {
    const impostor = await testSigner("k1");
    expect(await verifyJwt(await impostor.sign(accessClaims()), options)).toMatchObject({
      valid: false,
      code: "SIGNATURE_INVALID",
    });
  });

  it("refuses an unknown kid", async () => {
    const other = await testSigner("k2");
    expect(await verifyJwt(await other.sign(accessClaims()), options)).toMatchObject({
      valid: false,
      code: "KID_UNKNOWN",
    });
  });

  it("refuses a wrong typ, and a missing one", async () => {
    const idToken = await signer.sign(accessClaims(), { typ: "JWT" });
    expect(await verifyJwt(idToken, options)).toMatchObject({ valid: false, code: "TYP_INVALID" });
    const untyped = await signer.sign(accessClaims(), { typ: undefined });
    expect(await verifyJwt(untyped, options)).toMatchObject({ valid: false, code: "TYP_INVALID" });
  });

  it("refuses malformed tokens and critical headers", async () => {
    const good = await signer.sign(accessClaims());
    for (const token of [
      "",
      "abc",
      "a.b",
      `${good}.x`,
      "a.b.c",
      `${good.slice(0, -2)}==`,
      "x".repeat(9000),
    ]) {
      expect((await verifyJwt(token, options)).valid).toBe(false);
    }
    const signature = good.split(".")[2];
    const crit = `${encode({ alg: "ES256", kid: "k1", typ: "at+jwt", crit: ["x"], x: 1 })}.${encode(accessClaims())}.${signature}`;
    expect(await verifyJwt(crit, options)).toMatchObject({ valid: false, code: "MALFORMED" });
  });

  it("refuses a scope claim that is not a string", async () => {
    const token = await signer.sign(accessClaims({ scope: ["payments:read"] as unknown as string }));
    expect(await verifyJwt(token, options)).toMatchObject({ valid: false, code: "CLAIM_INVALID" });
  });
});

describe("RemoteJwks", () => {
  function server(sets: () => unknown, cacheControl = "max-age=300") {
    const calls: string[] = [];
    const fetchFn = (async (input: string | URL | Request) => {
      calls.push(String(input));
      return new Response(JSON.stringify(sets()), {
        headers: { "content-type": "application/json", "cache-control": cacheControl },
      });
    }) as typeof fetch;
    return { calls, fetchFn };
  }

  it("fetches once, then serves keys from its cache", async () => {
    const { calls, fetchFn } = server(() => ({ keys: [signer.jwk] }));
    const jwks = new RemoteJwks("https://tessera.test/.well-known/jwks.json", { fetch: fetchFn });
    for (let i = 0; i < 3; i++)
      expect((await verifyJwt(await signer.sign(accessClaims()), { ...options, jwks })).valid).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it("refetches on an unknown kid (a rotation), at most once per interval", async () => {
    const rotated = await testSigner("k2");
    let keys = [signer.jwk];
    let clock = 1_000_000;
    const { calls, fetchFn } = server(() => ({ keys }));
    const jwks = new RemoteJwks("https://x/jwks", {
      fetch: fetchFn,
      now: () => clock,
      refetchIntervalSec: 30,
    });
    expect(await jwks.getKey("k1", "ES256")).toBeDefined();
    clock += 31_000;
    keys = [signer.jwk, rotated.jwk];
    expect(await jwks.getKey("k2", "ES256")).toBeDefined();
    expect(calls).toHaveLength(2);
    // Made-up kids within the interval cost no fetch.
    for (const kid of ["k3", "k4", "k5"]) expect(await jwks.getKey(kid, "ES256")).toBeUndefined();
    expect(calls).toHaveLength(2);
    clock += 31_000;
    expect(await jwks.getKey("k3", "ES256")).toBeUndefined();
    expect(calls).toHaveLength(3);
  });

  it("honours max-age within bounds, and keeps stale keys when the issuer is down", async () => {
    let clock = 0;
    let up = true;
    const calls: number[] = [];
    const fetchFn = (async () => {
      calls.push(clock);
      if (!up) throw new Error("connection refused");
      return new Response(JSON.stringify({ keys: [signer.jwk] }), {
        headers: { "cache-control": "max-age=5" },
      });
    }) as unknown as typeof fetch;
    const errors: unknown[] = [];
    const jwks = new RemoteJwks("https://x/jwks", {
      fetch: fetchFn,
      now: () => clock,
      minMaxAgeSec: 60,
      onError: (e) => errors.push(e),
    });
    await jwks.getKey("k1", "ES256");
    clock = 59_000; // max-age=5 raised to the 60 s floor: still fresh
    await jwks.getKey("k1", "ES256");
    expect(calls).toHaveLength(1);
    clock = 61_000;
    up = false;
    expect(await jwks.getKey("k1", "ES256")).toBeDefined();
    expect(errors).toHaveLength(1);
  });

  it("skips keys it must not use: other curves, other algs, encryption keys", async () => {
    const { fetchFn } = server(() => ({
      keys: [
        { ...signer.jwk, kid: "enc", use: "enc" },
        { ...signer.jwk, kid: "hs", alg: "HS256" },
        { kty: "oct", kid: "oct", k: "c2VjcmV0" },
        signer.jwk,
      ],
    }));
    const jwks = new RemoteJwks("https://x/jwks", { fetch: fetchFn });
    await jwks.refresh();
    expect(jwks.size).toBe(1);
    expect(await jwks.getKey("k1", "HS256")).toBeUndefined();
  });
});
