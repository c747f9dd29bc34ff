import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runCheck } from "./check";
import { runKeys } from "./keys";
import { callTessera } from "./request";

/** A real HTTP server on a free port, answering with `handle`. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handle);
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }
});

describe("the CLI's calls to a running server", () => {
  it("keeps the path of --url, as the SDK's client does", async () => {
    // Before, new URL("/v1/check", url) dropped it: Tessera behind a proxy at /tessera was asked at /v1/check.
    const paths: string[] = [];
    const url = await serve((req, res) => {
      paths.push(`${req.method} ${req.url}`);
      res.setHeader("content-type", "application/json");
      res.end(req.url?.endsWith("/v1/check") ? '{"entitled":true}' : '{"items":[]}');
    });
    const check = { token: "t", tenant: "acme", feature: "sso" };
    expect(await runCheck({ url: `${url}/tessera`, ...check })).toBe(0);
    expect(await runCheck({ url: `${url}/tessera/`, ...check })).toBe(0);
    expect(await runKeys("list", { url: `${url}/tessera`, token: "t" })).toBe(0);
    expect(paths).toEqual(["POST /tessera/v1/check", "POST /tessera/v1/check", "GET /tessera/v1/oauth/keys"]);
  });

  it("names the URL when nothing listens there, rather than saying 'fetch failed'", async () => {
    const url = await serve(() => {});
    const closed = servers.pop()!;
    await new Promise<void>((done) => closed.close(() => done()));
    await expect(runKeys("list", { url, token: "t" })).rejects.toThrow(
      `Cannot reach ${url}/v1/oauth/keys: connect ECONNREFUSED`,
    );
  });

  it("names the URL when what answers is not Tessera, rather than a JSON parser's complaint", async () => {
    // Before: "Unexpected token '<', "<!DOCTYPE "... is not valid JSON".
    const url = await serve((_req, res) => {
      res.writeHead(404, { "content-type": "text/html" });
      res.end("<!DOCTYPE html><p>Not here</p>");
    });
    await expect(runCheck({ url, token: "t", tenant: "acme", feature: "sso" })).rejects.toThrow(
      `${url}/v1/check answered 404 with text/html, not Tessera's JSON.`,
    );
  });

  it("gives up on a server that never answers, rather than waiting forever", async () => {
    // Before, there was no timeout: `tessera check` against a stalled server never exited.
    const url = await serve(() => {});
    const started = Date.now();
    await expect(
      callTessera(url, "/v1/check", { method: "POST", token: "t", body: {} }, 300),
    ).rejects.toThrow(`${url}/v1/check did not answer within 0.3 s.`);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("refuses a --url that is not an http URL before asking", async () => {
    await expect(runCheck({ url: "127.0.0.1:4000", token: "t", tenant: "a", feature: "f" })).rejects.toThrow(
      '--url takes an http:// or https:// URL, not "127.0.0.1:4000"',
    );
  });
});
