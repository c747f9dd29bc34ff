import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../testing/backends";
import { startTestServer, type TestServer } from "../testing/server";
import { type RunningGateway, startGateway } from "./start";

/** petstore@3: one operation needing `pets:read`. */
const petstore = {
  openapi: "3.0.3",
  info: { title: "Petstore", version: "3.0.0" },
  servers: [{ url: "https://api.example.com/v3" }],
  components: {
    securitySchemes: {
      oauth: {
        type: "oauth2",
        flows: {
          clientCredentials: { tokenUrl: "https://auth.example.com/token", scopes: { "pets:read": "Read" } },
        },
      },
    },
  },
  paths: {
    "/pets": {
      get: {
        operationId: "listPets",
        security: [{ oauth: ["pets:read"] }],
        responses: { 200: { description: "ok" } },
      },
    },
  },
};

for (const backend of testBackends()) {
  describe(`the gateway and environments on ${backend.name}`, () => {
    let server: TestServer;
    let upstream: Server;
    let upstreamUrl: string;
    let developmentKey: string;
    let productionKey: string;
    let developmentToken: string;
    const gateways: RunningGateway[] = [];

    const ok = async (method: string, url: string, body: unknown, token = server.token) => {
      const response = await server.call(method, url, body, token);
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
      return response.json();
    };

    /** Tessera, reached through inject: the gateway's fetch of the API, the metadata and the JWKS. */
    const viaInject = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((value, name) => {
        headers[name] = value;
      });
      const answer = await server.tessera.app.inject({
        method: (init?.method ?? "GET") as "GET",
        url: `${url.pathname}${url.search}`,
        headers,
      });
      return new Response(answer.body === "" ? null : answer.body, {
        status: answer.statusCode,
        headers: { "content-type": String(answer.headers["content-type"] ?? "application/json") },
      });
    }) as typeof fetch;

    const gateway = async (token: string) => {
      const running = await startGateway({
        api: "petstore@3",
        upstream: upstreamUrl,
        tesseraUrl: "http://tessera.test",
        token,
        port: 0,
        refreshSeconds: 0,
        fetch: viaInject,
      });
      gateways.push(running);
      return running;
    };

    beforeAll(async () => {
      server = await startTestServer(backend);
      upstream = createServer((req, res) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ tenant: req.headers["x-tessera-tenant"] }));
      });
      await new Promise<void>((done) => upstream.listen(0, "127.0.0.1", done));
      upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

      const environments = (await ok("GET", "/v1/environments", undefined)).items as {
        id: string;
        key: string;
      }[];
      const production = environments.find((e) => e.key === "production")!;
      const productionManage = (await ok("POST", "/v1/tokens", { name: "prod", environment: production.id }))
        .token as string;
      // The same API, petstore@3, in both environments; one server key in each.
      for (const token of [server.token, productionManage])
        await ok("POST", "/v1/apis/import", { name: "petstore", document: petstore, apply: true }, token);
      developmentKey = (await ok("POST", "/v1/tokens", { name: "gw", kind: "server" })).token;
      productionKey = (
        await ok("POST", "/v1/tokens", { name: "gw", kind: "server", environment: production.id })
      ).token;

      // A development tenant entitled to petstore@3, and a token for it from the token endpoint.
      await ok("POST", "/v1/plans", {
        key: "pets",
        name: "Pets",
        apiAccess: [{ api: "petstore@3", scopes: ["pets:read"] }],
      });
      await ok("POST", "/v1/tenants", { id: "dev-tenant" });
      await ok("POST", "/v1/subscriptions", { id: "s1", tenantId: "dev-tenant", planKey: "pets" });
      const app = await ok("POST", "/v1/applications", {
        tenantId: "dev-tenant",
        name: "dev app",
        api: "petstore@3",
      });
      const granted = await server.tessera.app.inject({
        method: "POST",
        url: "/oauth/token",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: app.clientId,
          client_secret: app.clientSecret,
          resource: "petstore@3",
        }).toString(),
      });
      expect(granted.statusCode, granted.body).toBe(200);
      developmentToken = granted.json().access_token;
    });

    afterAll(async () => {
      for (const running of gateways) await running.close();
      upstream?.close();
      await server?.close();
    });

    it("GET /v1/apis/{key} names the server key's environment", async () => {
      const api = await ok("GET", "/v1/apis/petstore@3", undefined, productionKey);
      expect(api).toMatchObject({ key: "petstore@3", environment: "production" });
    });

    it("a production gateway refuses a development token for the same API: 401 invalid_token", async () => {
      const production = await gateway(productionKey);
      const response = await fetch(`${production.address}/v3/pets`, {
        headers: { authorization: `Bearer ${developmentToken}` },
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
      expect(await response.json()).toMatchObject({ error: "invalid_token" });
    });

    it("the development gateway lets the same token through", async () => {
      const development = await gateway(developmentKey);
      const response = await fetch(`${development.address}/v3/pets`, {
        headers: { authorization: `Bearer ${developmentToken}` },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ tenant: "dev-tenant" });
    });
  });
}
