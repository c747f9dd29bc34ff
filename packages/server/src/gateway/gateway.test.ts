import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Api } from "@tessera/sdk/core";
import { ambiguousPath } from "@tessera/sdk/core";
import { createAccessGuard } from "@tessera/sdk/middleware";
import type { FastifyInstance } from "fastify";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGateway, HEALTH_PATH } from "./gateway";

const ISSUER = "https://tessera.test";
const api: Api = {
  key: "payments@1",
  name: "payments",
  majorVersion: 1,
  basePath: "/v1",
  scopes: [{ name: "payments:read" }, { name: "payments:write" }],
  operations: [
    { name: "health", method: "GET", path: "/health", alternatives: [] },
    { name: "list", method: "GET", path: "/payments", alternatives: [["payments:read"]] },
    { name: "create", method: "POST", path: "/payments", alternatives: [["payments:write"]] },
  ],
};

let upstream: Server;
let gateway: FastifyInstance;
let sign: (claims?: JWTPayload) => Promise<string>;

/** The upstream echoes what reached it: method, URL, headers and body. */
function echo(): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  upstream = await echo();
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1" };
  sign = (claims = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      aud: "payments@1",
      client_id: "c1",
      scope: "payments:read",
      tenant_id: "acme",
      application_id: "app-1",
      ...claims,
    })
      .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "at+jwt" })
      .setIssuer(ISSUER)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(privateKey);
  };
  const port = (upstream.address() as AddressInfo).port;
  gateway = await buildGateway({
    guard: createAccessGuard({ api, issuer: ISSUER, jwks: { keys: [jwk] } }),
    upstream: `http://127.0.0.1:${port}/base`,
  });
});

afterAll(async () => {
  await gateway.close();
  upstream.close();
});

describe("gateway", () => {
  it("forwards an allowed request with identity headers, minus the credential and forged identity headers", async () => {
    const token = await sign();
    const response = await gateway.inject({
      url: "/v1/payments?limit=2",
      headers: {
        authorization: `Bearer ${token}`,
        "x-tessera-tenant": "evil",
        "X-Tessera-Admin": "1",
        "x-other": "kept",
      },
    });
    expect(response.statusCode).toBe(200);
    const seen = response.json();
    expect(seen.url).toBe("/base/v1/payments?limit=2");
    expect(seen.headers).toMatchObject({
      "x-tessera-tenant": "acme",
      "x-tessera-application": "app-1",
      "x-tessera-scopes": "payments:read",
      "x-tessera-client": "c1",
      "x-tessera-credential": "jwt",
      "x-other": "kept",
    });
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers["x-tessera-admin"]).toBeUndefined();
  });

  it("streams a body of any type through untouched", async () => {
    const token = await sign({ scope: "payments:write" });
    for (const [type, payload] of [
      ["application/json", '{"amount": 1}'],
      ["text/csv", "a,b\n1,2"],
    ]) {
      const response = await gateway.inject({
        method: "POST",
        url: "/v1/payments",
        headers: { authorization: `Bearer ${token}`, "content-type": type! },
        payload,
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ method: "POST", body: payload });
    }
  });

  it("passes public operations without identity headers, and strips forged ones there too", async () => {
    const response = await gateway.inject({ url: "/v1/health", headers: { "x-tessera-tenant": "evil" } });
    expect(response.statusCode).toBe(200);
    expect(response.json().headers["x-tessera-tenant"]).toBeUndefined();
  });

  it("refuses without reaching the upstream: 401, 403, unknown routes", async () => {
    const none = await gateway.inject({ url: "/v1/payments" });
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="payments@1"');
    expect(none.json()).toMatchObject({ error: "access_denied", reason: "CREDENTIAL_MISSING" });

    const token = await sign();
    const write = await gateway.inject({
      method: "POST",
      url: "/v1/payments",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      payload: "{}",
    });
    expect(write.statusCode).toBe(403);
    expect(write.headers["www-authenticate"]).toContain('error="insufficient_scope", scope="payments:write"');

    const unknown = await gateway.inject({ url: "/v1/admin", headers: { authorization: `Bearer ${token}` } });
    expect(unknown.statusCode).toBe(403);
    expect(unknown.json()).toMatchObject({ reason: "ROUTE_NOT_FOUND" });
  });

  it("refuses paths the upstream could read differently", async () => {
    // Over a real socket: inject would resolve the dot segments before the gateway saw them.
    const address = await gateway.listen({ host: "127.0.0.1", port: 0 });
    const token = await sign();
    for (const path of ["/v1/health/../payments", "/v1/health/%2e%2e/payments", "/v1/a%2Fb"]) {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const { hostname, port } = new URL(address);
        request({ hostname, port, path, headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
          .on("error", reject)
          .end();
      });
      expect(status, path).toBe(400);
    }
    expect(ambiguousPath("/v1/payments?next=../x")).toBe(false);
  });

  it("forwards a query as it came, odd percent-encoding and dot segments in it included", async () => {
    // Before, reply-from decoded the query with the path: `100%` was a 500, `next=../x` a 400.
    const token = await sign();
    for (const query of ["q=100%", "q=%zz", "name=%E0%A4", "next=../x", "next=%2e%2e%2fx"]) {
      const response = await gateway.inject({
        url: `/v1/payments?${query}`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.statusCode, query).toBe(200);
      expect(response.json().url, query).toBe(`/base/v1/payments?${query}`);
    }
    expect(ambiguousPath("/v1/payments/%zz")).toBe(true);
  });

  it("drops hop-by-hop headers and the client's proxy credential rather than fail on them", async () => {
    // Before, Expect (which curl adds to bodies over 1 MB), Keep-Alive and Upgrade were 500s.
    const token = await sign({ scope: "payments:write" });
    const response = await gateway.inject({
      method: "POST",
      url: "/v1/payments",
      headers: {
        authorization: `Bearer ${token}`,
        expect: "100-continue",
        "keep-alive": "timeout=5",
        upgrade: "websocket",
        "proxy-authorization": "Basic c2VjcmV0",
        "content-type": "application/json",
      },
      payload: '{"amount":1}',
    });
    expect(response.statusCode, response.body).toBe(200);
    const seen = response.json();
    expect(seen.body).toBe('{"amount":1}');
    for (const header of ["expect", "keep-alive", "upgrade", "proxy-authorization"])
      expect(seen.headers[header], header).toBeUndefined();
  });

  it("refuses method override headers, which would make an allowed request another operation", async () => {
    // payments:read allows GET /v1/payments; an upstream honouring the header would have run a POST.
    const token = await sign();
    for (const header of ["x-http-method-override", "X-HTTP-Method", "x-method-override"]) {
      const response = await gateway.inject({
        url: "/v1/payments",
        headers: { authorization: `Bearer ${token}`, [header]: "POST" },
      });
      expect(response.statusCode, header).toBe(400);
      expect(response.json(), header).toMatchObject({ error: "invalid_request", reason: "METHOD_OVERRIDE" });
    }
  });

  it("tells the upstream the caller's address, not whatever the client claimed", async () => {
    const token = await sign();
    const claims = {
      authorization: `Bearer ${token}`,
      "x-forwarded-for": "10.9.9.9",
      "x-forwarded-host": "admin.internal",
      "x-forwarded-proto": "https",
      forwarded: "for=10.9.9.9",
    };
    const seen = (
      await gateway.inject({ url: "/v1/payments", headers: claims, remoteAddress: "192.0.2.7" })
    ).json();
    expect(seen.headers["x-forwarded-for"]).toBe("192.0.2.7");
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
    expect(seen.headers["x-forwarded-host"]).toBe("localhost:80");
    expect(seen.headers.forwarded).toBeUndefined();

    // Behind a proxy it trusts, the gateway keeps what that proxy forwarded and adds its own peer.
    const behindProxy = await buildGateway({
      guard: createAccessGuard({ api, issuer: ISSUER, jwks: { keys: [] } }),
      upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      trustProxy: true,
    });
    try {
      const health = await behindProxy.inject({
        url: "/v1/health",
        headers: claims,
        remoteAddress: "192.0.2.7",
      });
      const through = health.json();
      expect(through.headers["x-forwarded-for"]).toBe("10.9.9.9, 192.0.2.7");
      expect(through.headers["x-forwarded-host"]).toBe("admin.internal");
      expect(through.headers.forwarded).toBe("for=10.9.9.9");
    } finally {
      await behindProxy.close();
    }
  });

  it("answers 502 without naming the upstream when it cannot be reached", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await buildGateway({
      guard: createAccessGuard({ api, issuer: ISSUER, jwks: { keys: [] } }),
      upstream: `http://127.0.0.1:${port}`,
    });
    try {
      // A public operation: no credential needed to reach the upstream.
      const response = await unreachable.inject({ url: "/v1/health" });
      expect(response.statusCode).toBe(502);
      expect(response.json()).toEqual({
        error: "bad_gateway",
        message: "The upstream could not be reached.",
      });
      expect(response.body).not.toContain(String(port));
    } finally {
      await unreachable.close();
    }
  });

  it("answers 504 when the upstream is too slow", async () => {
    const slow = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", () => resolve()));
    const port = (slow.address() as AddressInfo).port;
    const waiting = await buildGateway({
      guard: createAccessGuard({ api, issuer: ISSUER, jwks: { keys: [] } }),
      upstream: `http://127.0.0.1:${port}`,
      timeoutMs: 200,
    });
    try {
      const response = await waiting.inject({ url: "/v1/health" });
      expect(response.statusCode).toBe(504);
      expect(response.json().error).toBe("upstream_timeout");
    } finally {
      await waiting.close();
      slow.closeAllConnections();
      slow.close();
    }
  });

  it("answers its own health endpoint", async () => {
    const response = await gateway.inject({ url: HEALTH_PATH });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: "ok", api: "payments@1", operations: 3 });
  });
});
