import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AccessGuard,
  type BearerExpressRequest,
  loadAccessGuard,
  requireAccessExpress,
} from "@tessera/sdk/middleware";
import express from "express";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliProcess,
  freePort,
  removeDataDir,
  type ServerProcess,
  spawnCli,
  startServerProcess,
  tempDataDir,
} from "./process";

/** A payments API of one major version, protected by OAuth2 client-credentials scopes. */
function paymentsDocument(version: string, basePath: string) {
  const oauth = (...scopes: string[]) => [{ oauth: scopes }];
  return {
    openapi: "3.0.3",
    info: { title: "Payments", version },
    servers: [{ url: `https://api.example.com${basePath}` }],
    components: {
      securitySchemes: {
        oauth: {
          type: "oauth2",
          flows: {
            clientCredentials: {
              tokenUrl: "https://auth.example.com/token",
              scopes: { "payments:read": "Read payments", "payments:write": "Create payments" },
            },
          },
        },
      },
    },
    paths: {
      "/health": { get: { operationId: "health", security: [], responses: { 200: { description: "up" } } } },
      "/payments": {
        get: {
          operationId: "listPayments",
          security: oauth("payments:read"),
          responses: { 200: { description: "ok" } },
        },
        post: {
          operationId: "createPayment",
          security: oauth("payments:write"),
          responses: { 201: { description: "ok" } },
        },
      },
      "/payments/{id}": {
        get: {
          operationId: "getPayment",
          security: oauth("payments:read"),
          responses: { 200: { description: "ok" } },
        },
      },
    },
  };
}

type GatewayProcess = CliProcess & { url: string };

/** `tessera gateway` as its own process, as an operator would run it. */
async function startGatewayProcess(args: string[]): Promise<GatewayProcess> {
  const port = await freePort();
  const cli = await spawnCli(["gateway", "--port", String(port), ...args], "listening on", {
    timeoutMs: 60_000,
  });
  return { url: `http://127.0.0.1:${port}`, ...cli };
}

function listen(server: Server): Promise<string> {
  return new Promise((done) =>
    server.listen(0, "127.0.0.1", () => done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

/**
 * API access end to end: the real Tessera process, a catalog built over HTTP from OpenAPI documents, tokens
 * from its token endpoint through a real OAuth2 client library, and a sample API protected twice — by the
 * Express middleware in this process, and by `tessera gateway` in its own — each enforcing without asking
 * Tessera per request.
 */
describe("API access end to end", { timeout: 240_000 }, () => {
  const dataDir = tempDataDir();
  let tessera: ServerProcess;
  let gatewayV1: GatewayProcess | undefined;
  let gatewayV2: GatewayProcess | undefined;
  let upstream: Server;
  let sampleApi: Server;
  let sampleUrl: string;
  let v1Token: string;
  let apiKey: string;
  let apiKeyId: string;
  let applicationId: string;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field, as JSON
  let manage: (method: string, path: string, body?: unknown, status?: number) => Promise<any>;

  beforeAll(async () => {
    tessera = await startServerProcess(dataDir);
    const token = tessera.token!;
    manage = async (method, path, body, status) => {
      const response = await fetch(`${tessera.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { "content-type": "application/json" } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      if (status !== undefined) expect(response.status, `${method} ${path}: ${text}`).toBe(status);
      else expect(response.ok, `${method} ${path}: ${response.status} ${text}`).toBe(true);
      return text ? JSON.parse(text) : undefined;
    };

    // The catalog, over HTTP: two major versions of one API, a plan granting v1's read scope, a tenant on it.
    for (const [version, base] of [
      ["1.0.0", "/v1"],
      ["2.0.0", "/v2"],
    ] as const) {
      const imported = await manage("POST", "/v1/apis/import", {
        name: "payments",
        document: paymentsDocument(version, base),
        apply: true,
      });
      expect(imported.api).toMatchObject({ key: `payments@${version[0]}`, basePath: base });
    }
    await manage("POST", "/v1/plans", {
      key: "payments-basic",
      name: "Payments basic",
      apiAccess: [{ api: "payments@1", scopes: ["payments:read"] }],
    });
    await manage("POST", "/v1/tenants", { id: "acme" });
    await manage("POST", "/v1/subscriptions", {
      id: "sub-acme",
      tenantId: "acme",
      planKey: "payments-basic",
    });
    const application = await manage(
      "POST",
      "/v1/applications",
      { tenantId: "acme", name: "Acme backend", api: "payments@1" },
      201,
    );
    applicationId = application.id;
    const key = await manage(
      "POST",
      `/v1/applications/${applicationId}/keys`,
      { name: "ci", api: "payments@1" },
      201,
    );
    apiKey = key.key;
    apiKeyId = key.id;
    expect(apiKey).toMatch(/^tsr_(live|test)_/);
    const serverKey = (
      await manage("POST", "/v1/tokens", { name: "gateway", kind: "server", rights: ["decide"] }, 201)
    ).token as string;

    // A token from the token endpoint, through a real OAuth2 client: discovery, then client credentials.
    const config = await oidc.discovery(
      new URL(tessera.url),
      application.clientId,
      undefined,
      oidc.ClientSecretPost(application.clientSecret),
      { algorithm: "oauth2", execute: [oidc.allowInsecureRequests] },
    );
    const granted = await oidc.clientCredentialsGrant(config, {
      scope: "payments:read",
      resource: "payments@1",
    });
    v1Token = granted.access_token;
    expect(granted.token_type.toLowerCase()).toBe("bearer");

    // The tiny upstream: echoes who the gateway said the caller is.
    upstream = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ path: req.url, headers: req.headers }));
    });
    const upstreamUrl = await listen(upstream);

    // The sample API with the Express middleware, its guard loaded from Tessera once.
    const guard: AccessGuard = await loadAccessGuard({
      tesseraUrl: tessera.url,
      token: serverKey,
      api: "payments@1",
      apiKeys: { cacheSeconds: 0 },
    });
    const app = express();
    app.use(requireAccessExpress(guard));
    app.get("/v1/health", (_req, res) => {
      res.json({ status: "ok" });
    });
    app.get(["/v1/payments", "/v1/payments/:id"], (req, res) => {
      const access = (req as unknown as BearerExpressRequest).tesseraAccess;
      res.json({ tenant: access?.tenantId, application: access?.applicationId, scopes: access?.scopes });
    });
    app.post("/v1/payments", (_req, res) => {
      res.status(201).json({ created: true });
    });
    sampleApi = createServer(app);
    sampleUrl = await listen(sampleApi);

    const common = [
      "--upstream",
      upstreamUrl,
      "--tessera-url",
      tessera.url,
      "--token",
      serverKey,
      "--key-cache",
      "0",
    ];
    [gatewayV1, gatewayV2] = await Promise.all([
      startGatewayProcess(["--api", "payments@1", ...common]),
      startGatewayProcess(["--api", "payments@2", ...common]),
    ]);
    // Three processes start here; on a loaded two-core machine that takes far longer than the default hook time.
  }, 300_000);

  afterAll(async () => {
    await Promise.all([gatewayV1?.stop(), gatewayV2?.stop()]);
    upstream?.close();
    sampleApi?.close();
    await tessera?.stop();
    removeDataDir(dataDir);
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  describe("through the Express middleware", () => {
    it("allows a token with the operation's scope, and hands the handler its tenant and application", async () => {
      const response = await fetch(`${sampleUrl}/v1/payments/p1`, { headers: bearer(v1Token) });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        tenant: "acme",
        application: applicationId,
        scopes: ["payments:read"],
      });
    });

    it("passes the public operation without a token", async () => {
      expect((await fetch(`${sampleUrl}/v1/health`)).status).toBe(200);
    });

    it("answers 401 without a token, and 401 invalid_token for a forged one", async () => {
      const none = await fetch(`${sampleUrl}/v1/payments`);
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toBe('Bearer realm="payments@1"');
      const [header, payload, signature] = v1Token.split(".");
      const widened = Buffer.from(
        JSON.stringify({
          ...JSON.parse(Buffer.from(payload!, "base64url").toString()),
          scope: "payments:write",
        }),
      ).toString("base64url");
      const forged = await fetch(`${sampleUrl}/v1/payments`, {
        method: "POST",
        headers: bearer(`${header}.${widened}.${signature}`),
      });
      expect(forged.status).toBe(401);
      expect(forged.headers.get("www-authenticate")).toContain('error="invalid_token"');
      expect(await forged.json()).toMatchObject({ error: "invalid_token" });
    });

    it("answers 403 insufficient_scope for an operation the token's scopes do not cover", async () => {
      const response = await fetch(`${sampleUrl}/v1/payments`, { method: "POST", headers: bearer(v1Token) });
      expect(response.status).toBe(403);
      expect(response.headers.get("www-authenticate")).toBe(
        'Bearer realm="payments@1", error="insufficient_scope", scope="payments:write"',
      );
      expect(await response.json()).toMatchObject({ error: "insufficient_scope", reason: "SCOPE_MISSING" });
    });
  });

  describe("through the gateway", () => {
    it("answers its health endpoint", async () => {
      const health = await fetch(`${gatewayV1!.url}/_gateway/health`);
      expect(await health.json()).toMatchObject({ status: "ok", api: "payments@1", operations: 4 });
    });

    it("forwards an allowed request with the caller's identity, and without the token or forged identity", async () => {
      const response = await fetch(`${gatewayV1!.url}/v1/payments?limit=3`, {
        headers: { ...bearer(v1Token), "x-tessera-tenant": "someone-else" },
      });
      expect(response.status).toBe(200);
      const seen = (await response.json()) as { path: string; headers: Record<string, string> };
      expect(seen.path).toBe("/v1/payments?limit=3");
      expect(seen.headers).toMatchObject({
        "x-tessera-tenant": "acme",
        "x-tessera-application": applicationId,
        "x-tessera-scopes": "payments:read",
        "x-tessera-credential": "jwt",
      });
      expect(seen.headers.authorization).toBeUndefined();
    });

    it("answers 401 without a token or with a bad one, and 403 for missing scope or an unknown route", async () => {
      const none = await fetch(`${gatewayV1!.url}/v1/payments`);
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toBe('Bearer realm="payments@1"');
      const bad = await fetch(`${gatewayV1!.url}/v1/payments`, {
        headers: bearer("eyJhbGciOiJub25lIn0.e30."),
      });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toMatchObject({ error: "invalid_token" });
      const write = await fetch(`${gatewayV1!.url}/v1/payments`, {
        method: "POST",
        headers: { ...bearer(v1Token), "content-type": "application/json" },
        body: "{}",
      });
      expect(write.status).toBe(403);
      expect(write.headers.get("www-authenticate")).toContain(
        'error="insufficient_scope", scope="payments:write"',
      );
      const unknown = await fetch(`${gatewayV1!.url}/v1/refunds`, { headers: bearer(v1Token) });
      expect(unknown.status).toBe(403);
      expect(await unknown.json()).toMatchObject({ error: "access_denied", reason: "ROUTE_NOT_FOUND" });
    });

    it("refuses a v1 token at v2's gateway: wrong audience, 401 invalid_token", async () => {
      const response = await fetch(`${gatewayV2!.url}/v2/payments`, { headers: bearer(v1Token) });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
      expect(response.headers.get("www-authenticate")).toContain("another audience");
    });

    it("accepts a valid API key, then refuses it once revoked", async () => {
      for (const headers of [{ "x-api-key": apiKey }, bearer(apiKey)]) {
        const response = await fetch(`${gatewayV1!.url}/v1/payments`, { headers });
        expect(response.status).toBe(200);
        const seen = (await response.json()) as { headers: Record<string, string> };
        expect(seen.headers).toMatchObject({ "x-tessera-tenant": "acme", "x-tessera-credential": "api_key" });
        expect(seen.headers["x-api-key"]).toBeUndefined();
      }
      await manage("DELETE", `/v1/applications/${applicationId}/keys/${apiKeyId}`);
      const revoked = await fetch(`${gatewayV1!.url}/v1/payments`, { headers: { "x-api-key": apiKey } });
      expect(revoked.status).toBe(401);
      expect(await revoked.json()).toMatchObject({ error: "invalid_token", reason: "API_KEY_INVALID" });
    });

    it("keeps enforcing tokens with Tessera stopped: no call to it per request; API keys then get a 503", async () => {
      await tessera.stop();
      const viaGateway = await fetch(`${gatewayV1!.url}/v1/payments/p9`, { headers: bearer(v1Token) });
      expect(viaGateway.status).toBe(200);
      const viaMiddleware = await fetch(`${sampleUrl}/v1/payments/p9`, { headers: bearer(v1Token) });
      expect(viaMiddleware.status).toBe(200);
      const refused = await fetch(`${gatewayV1!.url}/v1/payments`, {
        method: "POST",
        headers: bearer(v1Token),
      });
      expect(refused.status).toBe(403);
      const key = await fetch(`${gatewayV1!.url}/v1/payments`, { headers: { "x-api-key": apiKey } });
      expect(key.status).toBe(503);
      expect(await key.json()).toMatchObject({ error: "temporarily_unavailable" });
    });
  });
});
