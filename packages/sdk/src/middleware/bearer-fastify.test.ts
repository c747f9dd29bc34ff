import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { paymentsApi } from "../access/test-api";
import { accessClaims, ISSUER, type TestSigner, testSigner } from "../access/test-keys";
import { type BearerFastifyRequest, requireAccess } from "./bearer-fastify";

let signer: TestSigner;
let app: FastifyInstance;

beforeAll(async () => {
  signer = await testSigner();
  app = Fastify();
  app.addHook(
    "preHandler",
    requireAccess({ api: paymentsApi, issuer: ISSUER, jwks: { keys: [signer.jwk] } }),
  );
  app.get("/v1/payments/:id", async (request) => ({
    tenant: (request as unknown as BearerFastifyRequest).tesseraAccess?.tenantId,
  }));
  app.post("/v1/payments", async () => ({ created: true }));
});

afterAll(() => app.close());

describe("requireAccess (Fastify preHandler)", () => {
  it("lets a token with the scope through and attaches the grant", async () => {
    const token = await signer.sign(accessClaims());
    const response = await app.inject({
      url: "/v1/payments/p1",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ tenant: "acme" });
  });

  it("refuses with 401 and 403 as RFC 6750 says", async () => {
    const none = await app.inject({ url: "/v1/payments/p1" });
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="payments@1"');
    expect(none.json()).toMatchObject({ error: "access_denied" });

    const token = await signer.sign(accessClaims());
    const post = await app.inject({
      method: "POST",
      url: "/v1/payments",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(post.statusCode).toBe(403);
    expect(post.json()).toMatchObject({ error: "insufficient_scope", reason: "SCOPE_MISSING" });

    const expired = await signer.sign(accessClaims({ exp: Math.floor(Date.now() / 1000) - 3600 }));
    const old = await app.inject({ url: "/v1/payments/p1", headers: { authorization: `Bearer ${expired}` } });
    expect(old.statusCode).toBe(401);
    expect(old.json()).toMatchObject({ error: "invalid_token" });
  });
});
