import { describe, expect, it } from "vitest";
import { AccessLoadError, discover, fetchApi, loadAccessGuard } from "./load";
import { paymentsApi } from "./test-api";
import { accessClaims, ISSUER, testSigner } from "./test-keys";

/** A fake Tessera: answers by path, records what it was asked with. */
function tessera(routes: Record<string, () => Response>) {
  const asked: { url: string; authorization: string | null }[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    asked.push({ url: url.pathname, authorization: new Headers(init?.headers).get("authorization") });
    const route = routes[url.pathname];
    if (!route) throw new TypeError("fetch failed");
    return route();
  }) as typeof fetch;
  return { asked, fetchFn };
}

describe("loading a guard from Tessera", () => {
  it("reads the API with the server key, the issuer and JWKS from the metadata, then enforces", async () => {
    const signer = await testSigner();
    const { asked, fetchFn } = tessera({
      "/v1/apis/payments%401": () => Response.json({ ...paymentsApi, environment: "development" }),
      "/.well-known/oauth-authorization-server": () =>
        Response.json({ issuer: ISSUER, jwks_uri: "https://keys.test/jwks.json" }),
      "/jwks.json": () => Response.json({ keys: [signer.jwk] }),
    });
    const guard = await loadAccessGuard({
      tesseraUrl: "http://tessera.internal:4000/",
      token: "tsr_sk_x",
      api: "payments@1",
      fetch: fetchFn,
    });
    const token = await signer.sign(accessClaims());
    expect((await guard("GET", "/v1/payments", { authorization: `Bearer ${token}` })).allowed).toBe(true);
    // The environment Tessera named is the only one whose tokens pass.
    const other = await signer.sign(accessClaims({ env: "production" }));
    expect(await guard("GET", "/v1/payments", { authorization: `Bearer ${other}` })).toMatchObject({
      status: 401,
      error: "invalid_token",
    });
    expect(asked.find((a) => a.url.startsWith("/v1/apis"))?.authorization).toBe("Bearer tsr_sk_x");
    // The JWKS is public: the server key is never sent there.
    expect(asked.find((a) => a.url === "/jwks.json")?.authorization).toBeNull();
  });

  it("falls back to the given issuer's well-known JWKS when there is no metadata, and fails without either", async () => {
    const { fetchFn } = tessera({});
    const source = { tesseraUrl: "http://t", token: "k", fetch: fetchFn };
    expect(await discover(source, { issuer: "https://id.test/" })).toEqual({
      issuer: "https://id.test/",
      jwksUri: "https://id.test/.well-known/jwks.json",
    });
    await expect(discover(source)).rejects.toBeInstanceOf(AccessLoadError);
  });

  it("refuses an answer that is not the API asked for, one naming no environment, and a refusal from Tessera", async () => {
    const { fetchFn } = tessera({
      "/v1/apis/payments%402": () => Response.json(paymentsApi),
      "/v1/apis/payments%401": () => Response.json(paymentsApi),
      "/v1/apis/payments%403": () => new Response('{"code":"FORBIDDEN"}', { status: 403 }),
    });
    const source = { tesseraUrl: "http://t", token: "k", fetch: fetchFn };
    await expect(fetchApi(source, "payments@2")).rejects.toThrow(/did not return/);
    await expect(fetchApi(source, "payments@1")).rejects.toThrow(/did not name the API's environment/);
    await expect(fetchApi(source, "payments@3")).rejects.toThrow(/403/);
  });
});
