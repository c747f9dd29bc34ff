import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccessGuard } from "../access/guard";
import { paymentsApi } from "../access/test-api";
import { accessClaims, ISSUER, type TestSigner, testSigner } from "../access/test-keys";
import { type BearerExpressRequest, requireAccess } from "./bearer-express";

let signer: TestSigner;
let base: string;
let close: () => void;

beforeAll(async () => {
  signer = await testSigner();
  const app = express();
  app.use(
    requireAccess(createAccessGuard({ api: paymentsApi, issuer: ISSUER, jwks: { keys: [signer.jwk] } })),
  );
  app.get("/v1/payments", (req, res) => {
    res.json({ access: (req as unknown as BearerExpressRequest).tesseraAccess });
  });
  app.get("/v1/health", (_req, res) => {
    res.json({ ok: true });
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});

afterAll(() => close());

describe("requireAccess (Express)", () => {
  it("lets a token with the scope through and attaches the grant", async () => {
    const token = await signer.sign(accessClaims());
    const response = await fetch(`${base}/v1/payments`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const { access } = (await response.json()) as { access: Record<string, unknown> };
    expect(access).toMatchObject({
      allowed: true,
      tenantId: "acme",
      applicationId: "app-1",
      credential: "jwt",
    });
    expect(access.claims).toMatchObject({ client_id: "client-1", scope: "payments:read" });
  });

  it("passes a public operation without a token", async () => {
    expect((await fetch(`${base}/v1/health`)).status).toBe(200);
  });

  it("answers 401 with WWW-Authenticate and the denial body when there is no token", async () => {
    const response = await fetch(`${base}/v1/payments`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="payments@1"');
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({
      error: "access_denied",
      message: "A bearer token is required.",
      reason: "CREDENTIAL_MISSING",
    });
  });

  it("answers 401 invalid_token for a forged token", async () => {
    const forged = await (await testSigner()).sign(accessClaims());
    const response = await fetch(`${base}/v1/payments`, { headers: { authorization: `Bearer ${forged}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(await response.json()).toMatchObject({ error: "invalid_token", reason: "TOKEN_INVALID" });
  });

  it("answers 403 insufficient_scope, and 403 access_denied for a route the API does not have", async () => {
    const token = await signer.sign(accessClaims());
    const post = await fetch(`${base}/v1/payments`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(post.status).toBe(403);
    expect(post.headers.get("www-authenticate")).toBe(
      'Bearer realm="payments@1", error="insufficient_scope", scope="payments:write"',
    );
    expect(await post.json()).toMatchObject({
      error: "insufficient_scope",
      requiredScopes: ["payments:write"],
    });
    const unknown = await fetch(`${base}/v1/other`, { headers: { authorization: `Bearer ${token}` } });
    expect(unknown.status).toBe(403);
    expect(await unknown.json()).toMatchObject({ error: "access_denied", reason: "ROUTE_NOT_FOUND" });
  });
});
