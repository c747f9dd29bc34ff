/**
 * Child entry for bench/access.ts: `upstream` (a tiny node:http API), `bare` (Fastify + @fastify/reply-from
 * forwarding everything, no checks) or `gateway` (Tessera's gateway, same proxy, every request checked).
 * Answers `{type: "ready", port}` over IPC once listening.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import replyFrom from "@fastify/reply-from";
import { createAccessGuard, type Jwk } from "@tessera/sdk/middleware";
import Fastify, { type FastifyInstance, LogController } from "fastify";
import { buildGateway } from "../packages/server/src/gateway/gateway";
import { holdTickShape } from "../packages/server/src/tick-shape";
import { benchApi, ISSUER } from "./access-fixture";
import { failAndExit, send } from "./harness";

/** The child's one message: listening on this port. */
export interface Ready {
  type: "ready";
  port: number;
}

const BODY = JSON.stringify({ id: "p_1", amount: 1250, currency: "EUR", status: "captured" });

async function main(): Promise<void> {
  // Every server here, as Tessera's own servers do (see tick-shape.ts), so no side of a comparison can
  // spend its run with nextTick on V8's slow path.
  holdTickShape();
  const [mode, arg] = process.argv.slice(2);
  if (mode === "upstream") {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) });
      res.end(BODY);
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    await send({ type: "ready", port: (server.address() as AddressInfo).port } satisfies Ready);
    return;
  }
  if (!arg) throw new Error("usage: access-server.ts bare|gateway <upstream url> [jwk json]");
  const upstream = arg;
  let app: FastifyInstance;
  if (mode === "bare") {
    app = Fastify({ logger: false, logController: new LogController({ disableRequestLogging: true }) });
    // The same proxy as the gateway's, minus the guard: bodies streamed, same connection pool.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
    await app.register(replyFrom, {
      base: upstream,
      undici: { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 },
    });
    app.all("/*", (request, reply) => reply.from(request.url));
  } else if (mode === "gateway") {
    const jwk = JSON.parse(process.argv[4] ?? "null") as Jwk;
    app = await buildGateway({
      guard: createAccessGuard({ api: benchApi, issuer: ISSUER, jwks: { keys: [jwk] } }),
      upstream,
    });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  await app.listen({ host: "127.0.0.1", port: 0 });
  await send({ type: "ready", port: (app.server.address() as AddressInfo).port } satisfies Ready);
}

main().catch(failAndExit);
