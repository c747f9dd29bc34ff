import { Agent, request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { testBackends } from "../testing/backends";
import { startTestServer, type TestServer } from "../testing/server";

/**
 * auth.ts remembers, per connection, the principal the connection's last credential proved. These tests
 * send requests over one real keep-alive connection (inject has none) and check that what is remembered
 * never outlives what it stands for: another credential on the same connection, or a revocation.
 */
describe("credentials on a kept-alive connection", () => {
  let server: TestServer;
  let agent: Agent;
  let port: number;
  let decideKey: { id: string; token: string };
  let manageOnly: { id: string; token: string };

  beforeAll(async () => {
    server = await startTestServer(testBackends()[0]!);
    await server.call("POST", "/v1/features", { key: "sso", name: "SSO", type: "boolean" });
    await server.call("POST", "/v1/tenants", { id: "acme" });
    decideKey = (await server.call("POST", "/v1/tokens", { name: "decide", kind: "server" })).json();
    manageOnly = (
      await server.call("POST", "/v1/tokens", { name: "manage", kind: "management", rights: ["manage"] })
    ).json();
    await server.tessera.app.listen({ host: "127.0.0.1", port: 0 });
    port = (server.tessera.app.server.address() as AddressInfo).port;
    // One socket for every request: each request reuses the connection the last one left open.
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterAll(async () => {
    agent?.destroy();
    await server?.close();
  });

  /** POST /v1/check over the shared connection; the status, the problem code and the socket's local port. */
  function check(authorization: string): Promise<{ status: number; code?: string; socket: number }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent,
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/v1/check",
          headers: { authorization, "content-type": "application/json" },
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              code: (JSON.parse(body) as { code?: string }).code,
              socket: req.socket?.localPort ?? 0,
            }),
          );
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ subject: { tenantId: "acme" }, feature: "sso" }));
    });
  }

  it("verifies each credential a connection sends, and forgets one that was revoked", async () => {
    const first = await check(`Bearer ${decideKey.token}`);
    expect(first.status).toBe(200);

    // The same connection, another credential: its own rights, not the last one's.
    const other = await check(`Bearer ${manageOnly.token}`);
    expect(other).toMatchObject({ status: 403, code: "FORBIDDEN", socket: first.socket });
    const wrong = await check(`Bearer ${decideKey.token.slice(0, -1)}x`);
    expect(wrong).toMatchObject({ status: 401, code: "UNAUTHENTICATED", socket: first.socket });

    expect(await check(`Bearer ${decideKey.token}`)).toMatchObject({ status: 200, socket: first.socket });
    expect(await check(`Bearer ${decideKey.token}`)).toMatchObject({ status: 200, socket: first.socket });

    // Revoked through another connection: the very next request on this one is refused.
    expect((await server.call("DELETE", `/v1/tokens/${decideKey.id}`)).statusCode).toBe(200);
    expect(await check(`Bearer ${decideKey.token}`)).toMatchObject({
      status: 401,
      code: "TOKEN_REVOKED",
      socket: first.socket,
    });
  });

  it("refuses a token once it has expired, on the connection it worked on too", async () => {
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const made = await server.call("POST", "/v1/tokens", { name: "brief", kind: "server", expiresAt });
    expect(made.statusCode).toBe(201);
    const brief = made.json() as { id: string; token: string; expiresAt: string };
    expect(brief.expiresAt).toBe(expiresAt);
    const listed = (await server.call("GET", "/v1/tokens")).json() as { items: { id: string }[] };
    expect(listed.items.find((t) => t.id === brief.id)).toMatchObject({ expiresAt });

    const first = await check(`Bearer ${brief.token}`);
    expect(first.status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.parse(expiresAt));
      expect(await check(`Bearer ${brief.token}`)).toMatchObject({
        status: 401,
        code: "TOKEN_EXPIRED",
        socket: first.socket,
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses to make a token that has already expired, or whose expiry is not a time", async () => {
    for (const expiresAt of [
      new Date(Date.now() - 1_000).toISOString(),
      "next tuesday",
      "2027-02-30T00:00:00Z",
    ]) {
      const response = await server.call("POST", "/v1/tokens", { name: "late", expiresAt });
      expect(response.statusCode, expiresAt).toBe(400);
      expect(response.json(), expiresAt).toMatchObject({ code: "VALIDATION_FAILED" });
    }
    const names = ((await server.call("GET", "/v1/tokens")).json() as { items: { name: string }[] }).items;
    expect(names.map((t) => t.name)).not.toContain("late");
  });
});
