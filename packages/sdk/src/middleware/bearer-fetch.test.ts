import { beforeAll, describe, expect, it } from "vitest";
import { paymentsApi } from "../access/test-api";
import { accessClaims, ISSUER, type TestSigner, testSigner } from "../access/test-keys";
import { accessOf, type BearerFetchGuard, requireAccess } from "./bearer-fetch";

let signer: TestSigner;
let guard: BearerFetchGuard;

beforeAll(async () => {
  signer = await testSigner();
  guard = requireAccess({ api: paymentsApi, issuer: ISSUER, jwks: { keys: [signer.jwk] } });
});

/** A Hono-like app: the guard, then the handler. */
async function app(request: Request): Promise<Response> {
  const refused = await guard(request);
  if (refused) return refused;
  return Response.json({ tenant: accessOf(request)?.tenantId });
}

describe("requireAccess (fetch-style)", () => {
  it("lets a token with the scope through and keeps the grant beside the request", async () => {
    const token = await signer.sign(accessClaims());
    const response = await app(
      new Request("https://api.test/v1/payments?x=1", { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ tenant: "acme" });
  });

  it("refuses with 401 and 403 and the denial body", async () => {
    const none = await app(new Request("https://api.test/v1/payments"));
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="payments@1"');

    const token = await signer.sign(accessClaims({ scope: "" }));
    const bare = await app(
      new Request("https://api.test/v1/payments", { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(bare.status).toBe(403);
    expect(await bare.json()).toMatchObject({
      error: "insufficient_scope",
      message: expect.any(String),
      requiredScopes: ["payments:read"],
    });
  });
});
