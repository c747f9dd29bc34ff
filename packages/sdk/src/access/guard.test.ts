import { beforeAll, describe, expect, it } from "vitest";
import { ApiKeyVerifier, type KeyVerification } from "./api-keys";
import { type AccessGuard, createAccessGuard } from "./guard";
import type { KeySource } from "./jwks";
import { LocalJwks } from "./jwks";
import { paymentsApi } from "./test-api";
import { accessClaims, ISSUER, type TestSigner, testSigner } from "./test-keys";

let signer: TestSigner;
let guard: AccessGuard;
let lookups = 0;

beforeAll(async () => {
  signer = await testSigner();
  const local = new LocalJwks({ keys: [signer.jwk] });
  const counting: KeySource = {
    getKey: (kid, alg) => {
      lookups++;
      return local.getKey(kid, alg);
    },
  };
  guard = createAccessGuard({ api: paymentsApi, issuer: ISSUER, jwks: counting });
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("createAccessGuard with JWTs", () => {
  it("lets a token with the scope through, with its tenant and application", async () => {
    const outcome = await guard("GET", "/v1/payments?limit=5", bearer(await signer.sign(accessClaims())));
    expect(outcome).toMatchObject({
      allowed: true,
      status: 200,
      credential: "jwt",
      tenantId: "acme",
      applicationId: "app-1",
      clientId: "client-1",
      scopes: ["payments:read"],
      requiredScopes: ["payments:read"],
      operation: "listPayments",
    });
  });

  it("passes public operations without a token", async () => {
    expect(await guard("GET", "/v1/health", {})).toMatchObject({ allowed: true, status: 200 });
  });

  it("answers 401 with a realm when there is no token, whether or not the route exists", async () => {
    for (const path of ["/v1/payments", "/v1/nowhere"]) {
      expect(await guard("GET", path, {})).toEqual({
        allowed: false,
        status: 401,
        reason: "CREDENTIAL_MISSING",
        error: "access_denied",
        message: "A bearer token is required.",
        wwwAuthenticate: 'Bearer realm="payments@1"',
      });
    }
  });

  it("answers 401 invalid_token for a bad token, a bad scheme and an API key it was not told to accept", async () => {
    for (const headers of [
      bearer("not.a.token"),
      { authorization: "Basic dXNlcjpwYXNz" },
      bearer("tsr_live_abc"),
      { authorization: ["Bearer a.b.c", "Bearer d.e.f"] },
    ]) {
      const outcome = await guard("GET", "/v1/payments", headers);
      expect(outcome).toMatchObject({ allowed: false, status: 401, error: "invalid_token" });
      expect(outcome.wwwAuthenticate).toMatch(
        /^Bearer realm="payments@1", error="invalid_token", error_description="/,
      );
    }
  });

  it("reads the scheme in any case with extra spaces, and refuses what is not a bearer token68", async () => {
    const token = await signer.sign(accessClaims());
    for (const authorization of [`bearer ${token}`, `BEARER   ${token}  `])
      expect((await guard("GET", "/v1/payments", { authorization })).allowed).toBe(true);
    for (const authorization of [
      `Bearer${token}`,
      "Bearer ",
      "Bearer    ",
      `Bearer ${token} extra`,
      `Token ${token}`,
    ])
      expect(await guard("GET", "/v1/payments", { authorization })).toMatchObject({
        status: 401,
        error: "invalid_token",
      });
  });

  it("answers 401 for a token of another API (wrong audience)", async () => {
    const v2 = await signer.sign(accessClaims({ aud: "payments@2" }));
    expect(await guard("GET", "/v1/payments", bearer(v2))).toMatchObject({
      status: 401,
      wwwAuthenticate: expect.stringContaining('error_description="the token is for another audience"'),
    });
  });

  it("answers 401 invalid_token for a token of another environment, or of none, when it knows its own", async () => {
    const production = createAccessGuard({
      api: paymentsApi,
      issuer: ISSUER,
      environment: "production",
      jwks: { keys: [signer.jwk] },
    });
    const own = await signer.sign(accessClaims({ env: "production" }));
    expect((await production("GET", "/v1/payments", bearer(own))).allowed).toBe(true);
    // Same issuer, same key, same audience: only `env` tells a development token apart.
    for (const env of ["development", undefined]) {
      const token = await signer.sign(accessClaims({ env }));
      expect(await production("GET", "/v1/payments", bearer(token))).toMatchObject({
        allowed: false,
        status: 401,
        reason: "TOKEN_INVALID",
        error: "invalid_token",
        wwwAuthenticate: expect.stringContaining('error_description="the token is for another environment"'),
      });
    }
  });

  it("answers 403 insufficient_scope naming the nearest alternative's scopes", async () => {
    const token = await signer.sign(accessClaims({ scope: "payments:read payments:write" }));
    const outcome = await guard("POST", "/v1/payments/p1/refunds", bearer(token));
    expect(outcome).toMatchObject({
      allowed: false,
      status: 403,
      reason: "SCOPE_MISSING",
      error: "insufficient_scope",
      requiredScopes: ["payments:write", "refunds:write"],
      wwwAuthenticate:
        'Bearer realm="payments@1", error="insufficient_scope", scope="payments:write refunds:write"',
      tenantId: "acme",
    });
  });

  it("accepts any one alternative of an OR", async () => {
    const admin = await signer.sign(accessClaims({ scope: "admin" }));
    const both = await signer.sign(accessClaims({ scope: "payments:write refunds:write" }));
    expect((await guard("POST", "/v1/payments/p1/refunds", bearer(admin))).requiredScopes).toEqual(["admin"]);
    expect((await guard("POST", "/v1/payments/p1/refunds", bearer(both))).allowed).toBe(true);
  });

  it("denies an unknown route or method with 403 once the caller is known", async () => {
    const token = await signer.sign(accessClaims());
    for (const [method, path] of [
      ["GET", "/v1/unknown"],
      ["DELETE", "/v1/payments"],
      ["GET", "/payments"],
    ] as const) {
      expect(await guard(method, path, bearer(token))).toMatchObject({
        allowed: false,
        status: 403,
        reason: "ROUTE_NOT_FOUND",
        error: "access_denied",
      });
    }
  });

  it("answers HEAD as the GET it mirrors", async () => {
    expect((await guard("HEAD", "/v1/payments/p1", bearer(await signer.sign(accessClaims())))).allowed).toBe(
      true,
    );
  });

  it("reads Fetch Headers as well as Node's header record", async () => {
    const headers = new Headers(bearer(await signer.sign(accessClaims())));
    expect((await guard("GET", "/v1/payments", headers)).allowed).toBe(true);
  });

  it("verifies a token once, then answers repeats from its cache", async () => {
    const token = await signer.sign(accessClaims());
    const before = lookups;
    for (let i = 0; i < 5; i++)
      expect((await guard("GET", "/v1/payments/p1", bearer(token))).allowed).toBe(true);
    expect(lookups - before).toBe(1);
  });

  it("stops answering from the cache once the token expires", async () => {
    let clock = Date.now();
    const timed = createAccessGuard({
      api: paymentsApi,
      issuer: ISSUER,
      jwks: { keys: [signer.jwk] },
      clockToleranceSec: 0,
      now: () => clock,
    });
    const exp = Math.floor(clock / 1000) + 60;
    const token = await signer.sign(accessClaims({ exp }));
    expect((await timed("GET", "/v1/payments", bearer(token))).allowed).toBe(true);
    clock = exp * 1000;
    expect(await timed("GET", "/v1/payments", bearer(token))).toMatchObject({ status: 401 });
  });

  it("enforces a reloaded definition", async () => {
    const reloaded = createAccessGuard({ api: paymentsApi, issuer: ISSUER, jwks: { keys: [signer.jwk] } });
    reloaded.setApi({
      ...paymentsApi,
      operations: paymentsApi.operations.filter((o) => o.name !== "listPayments"),
    });
    expect(await reloaded("GET", "/v1/payments", bearer(await signer.sign(accessClaims())))).toMatchObject({
      status: 403,
      reason: "ROUTE_NOT_FOUND",
    });
    expect(() => reloaded.setApi({ ...paymentsApi, key: "payments@2" })).toThrow(TypeError);
  });
});

describe("the route table", () => {
  it("keeps the first of two same-shaped operations and leaves out unparsable ones, as the core catalog does", async () => {
    const g = createAccessGuard({
      api: {
        ...paymentsApi,
        operations: [
          { name: "first", method: "GET", path: "/items/{id}", alternatives: [["payments:read"]] },
          { name: "second", method: "get", path: "/items/{itemId}", alternatives: [] },
          { name: "broken", method: "GET", path: "/bad?x", alternatives: [] },
        ],
      },
      issuer: ISSUER,
      jwks: { keys: [signer.jwk] },
    });
    expect(await g("GET", "/v1/items/1", {})).toMatchObject({ status: 401 });
    const token = await signer.sign(accessClaims());
    expect(await g("GET", "/v1/items/1", bearer(token))).toMatchObject({ allowed: true, operation: "first" });
  });

  it("forgets verified tokens when a reload changes the audience", async () => {
    const g = createAccessGuard({ api: paymentsApi, issuer: ISSUER, jwks: { keys: [signer.jwk] } });
    const token = await signer.sign(accessClaims());
    expect((await g("GET", "/v1/payments", bearer(token))).allowed).toBe(true);
    g.setApi({ ...paymentsApi, audience: "https://payments.example.com" });
    expect(await g("GET", "/v1/payments", bearer(token))).toMatchObject({ status: 401 });
  });
});

describe("createAccessGuard with API keys", () => {
  function verifier(answers: Record<string, KeyVerification>, down = false) {
    const calls: unknown[] = [];
    const fetchFn = (async (_url: string, init?: RequestInit) => {
      calls.push(JSON.parse(String(init?.body)));
      if (down) return new Response("{}", { status: 502 });
      const { key } = JSON.parse(String(init?.body)) as { key: string };
      return Response.json(answers[key] ?? { valid: false, code: "NOT_FOUND" });
    }) as unknown as typeof fetch;
    return { calls, fetchFn };
  }
  const good: KeyVerification = {
    valid: true,
    code: "VALID",
    tenantId: "acme",
    applicationId: "app-1",
    api: "payments@1",
    scopes: ["payments:read"],
  };

  function keyGuard(fetchFn: typeof fetch, cacheSeconds = 5) {
    return createAccessGuard({
      api: paymentsApi,
      issuer: ISSUER,
      jwks: { keys: [signer.jwk] },
      apiKeys: { verifyUrl: "https://tessera.test/v1/keys/verify", serverKey: "srv", cacheSeconds },
      fetch: fetchFn,
    });
  }

  it("accepts a valid key in x-api-key or as a bearer token, and checks its scopes locally", async () => {
    const { calls, fetchFn } = verifier({ tsr_live_good: good });
    const g = keyGuard(fetchFn);
    expect(await g("GET", "/v1/payments", { "x-api-key": "tsr_live_good" })).toMatchObject({
      allowed: true,
      credential: "api_key",
      tenantId: "acme",
      applicationId: "app-1",
    });
    expect((await g("GET", "/v1/payments/1", bearer("tsr_live_good"))).allowed).toBe(true);
    expect(await g("POST", "/v1/payments", bearer("tsr_live_good"))).toMatchObject({
      status: 403,
      error: "insufficient_scope",
    });
    // One call to Tessera: the rest came from the cache.
    expect(calls).toEqual([{ key: "tsr_live_good" }]);
  });

  it("refuses an invalid key, and a key for another API, with 401", async () => {
    const { fetchFn } = verifier({
      tsr_test_v2: { ...good, api: "payments@2" },
      tsr_test_noapi: { ...good, api: null },
    });
    const g = keyGuard(fetchFn);
    for (const key of ["tsr_live_revoked", "tsr_test_v2", "tsr_test_noapi"]) {
      expect(await g("GET", "/v1/payments", { "x-api-key": key })).toMatchObject({
        status: 401,
        reason: "API_KEY_INVALID",
        error: "invalid_token",
      });
    }
    expect(await g("GET", "/v1/payments", { "x-api-key": "sk_other" })).toMatchObject({ status: 401 });
  });

  it("answers 503 when Tessera cannot verify the key, and never lets it through", async () => {
    const { fetchFn } = verifier({}, true);
    expect(await keyGuard(fetchFn)("GET", "/v1/payments", { "x-api-key": "tsr_live_good" })).toMatchObject({
      allowed: false,
      status: 503,
    });
  });

  it("asks again after cacheSeconds, and shares one call between concurrent misses", async () => {
    let clock = 0;
    const { calls, fetchFn } = verifier({ tsr_live_good: good });
    const keys = new ApiKeyVerifier({
      verifyUrl: "https://x/verify",
      serverKey: "srv",
      cacheSeconds: 5,
      fetch: fetchFn,
      now: () => clock,
    });
    await Promise.all([keys.verify("tsr_live_good"), keys.verify("tsr_live_good")]);
    expect(calls).toHaveLength(1);
    clock = 5_000;
    await keys.verify("tsr_live_good");
    expect(calls).toHaveLength(2);
    await keys.verify("tsr_live_good", "10.0.0.1");
    expect(calls[2]).toEqual({ key: "tsr_live_good", ip: "10.0.0.1" });
  });
});
