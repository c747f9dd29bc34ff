import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Api } from "@tessera/sdk/core";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningGateway, startGateway } from "./start";

const ISSUER = "https://tessera.test";
const v1: Api = {
  key: "orders@1",
  name: "orders",
  majorVersion: 1,
  basePath: "/v1",
  scopes: [{ name: "orders:read" }],
  operations: [{ name: "list", method: "GET", path: "/orders", alternatives: [["orders:read"]] }],
};

let upstream: Server;
let gateway: RunningGateway;
let served: Api = v1;
let token: string;
const asked: string[] = [];

beforeAll(async () => {
  upstream = createServer((_req, res) => res.end("ok"));
  await new Promise<void>((done) => upstream.listen(0, "127.0.0.1", done));
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1" };
  token = await new SignJWT({ scope: "orders:read", tenant_id: "acme", env: "development" })
    .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "at+jwt" })
    .setIssuer(ISSUER)
    .setAudience("orders@1")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(privateKey);
  // Tessera, faked at the fetch level: the API definition, the metadata and the JWKS.
  const fakeTessera = (async (input: string | URL | Request) => {
    const path = new URL(String(input)).pathname;
    asked.push(path);
    if (path === "/v1/apis/orders%401") return Response.json({ ...served, environment: "development" });
    if (path === "/.well-known/oauth-authorization-server")
      return Response.json({ issuer: ISSUER, jwks_uri: "http://tessera.test/.well-known/jwks.json" });
    if (path === "/.well-known/jwks.json") return Response.json({ keys: [jwk] });
    return new Response("{}", { status: 404 });
  }) as typeof fetch;
  gateway = await startGateway({
    api: "orders@1",
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    tesseraUrl: "http://tessera.test",
    token: "tsr_sk_test",
    port: 0,
    refreshSeconds: 1,
    fetch: fakeTessera,
  });
});

afterAll(async () => {
  await gateway.close();
  upstream.close();
});

describe("startGateway", () => {
  it("loads the API, the issuer and the keys at start, then enforces without asking Tessera", async () => {
    const before = asked.length;
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${gateway.address}/v1/orders`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(200);
    }
    expect(asked.slice(before).filter((p) => p !== "/v1/apis/orders%401")).toEqual([]);
    const health = await (await fetch(`${gateway.address}/_gateway/health`)).json();
    expect(health).toMatchObject({ status: "ok", api: "orders@1", issuer: ISSUER, keys: 1 });
  });

  it("reloads the API definition in the background and enforces the new one", async () => {
    served = { ...v1, operations: [] };
    // Polls the reload (once a second) with a bound; nothing here asserts on how long it took.
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      await new Promise((done) => setTimeout(done, 100));
      status = (
        await fetch(`${gateway.address}/v1/orders`, { headers: { authorization: `Bearer ${token}` } })
      ).status;
    }
    expect(status).toBe(403);
  });
});
