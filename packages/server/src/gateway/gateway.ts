import replyFrom from "@fastify/reply-from";
import { ambiguousPath } from "@tessera/sdk/core";
import type { AccessGuard, AccessOutcome } from "@tessera/sdk/middleware";
import { refusalOf } from "@tessera/sdk/middleware";
import Fastify, { type FastifyInstance, LogController } from "fastify";
import { overridesMethod, upstreamHeaders } from "./headers";

export interface GatewayOptions {
  guard: AccessGuard;
  /** Where allowed requests go, e.g. `http://127.0.0.1:3000` (a path is prefixed to every request's). */
  upstream: string;
  /** Pass Authorization and x-api-key on to the upstream. Off by default: it gets the x-tessera-* headers. */
  forwardCredentials?: boolean;
  /** pino options, or false. */
  logger?: boolean | object;
  /** Trust X-Forwarded-For for the caller's address (when the gateway itself sits behind a proxy). */
  trustProxy?: boolean;
  /** Upstream timeout, ms. */
  timeoutMs?: number;
  /** What the health endpoint reports besides the API. */
  health?: () => Record<string, unknown>;
}

/** The gateway's own endpoint; every other path belongs to the upstream API. */
export const HEALTH_PATH = "/_gateway/health";

declare module "fastify" {
  interface FastifyRequest {
    tesseraAccess: AccessOutcome | undefined;
  }
}

/**
 * A reverse proxy enforcing one API: each request is checked by the access guard before its body is read
 * (an onRequest hook), and only allowed ones reach the upstream. No database and no call to Tessera per
 * request: the guard holds the route table, the JWKS and the verified tokens in memory.
 */
export async function buildGateway(options: GatewayOptions): Promise<FastifyInstance> {
  const upstream = new URL(options.upstream);
  const prefix = upstream.pathname.replace(/\/+$/, "");
  const forwardCredentials = options.forwardCredentials ?? false;
  const app = Fastify({
    logger: options.logger ?? false,
    // A line per request would cost more than the check itself; refusals are visible to the caller.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: options.trustProxy ?? false,
  });
  app.decorateRequest("tesseraAccess", undefined);

  app.get(HEALTH_PATH, async () => ({
    status: "ok",
    api: options.guard.api.key,
    operations: options.guard.api.operations.length,
    ...options.health?.(),
  }));

  await app.register(async (proxy) => {
    // Bodies are streamed through untouched, whatever their type: the upstream parses them, not the gateway.
    proxy.removeAllContentTypeParsers();
    proxy.addContentTypeParser("*", (_request, payload, done) => done(null, payload));

    proxy.addHook("onRequest", async (request, reply) => {
      if (ambiguousPath(request.url) || encodedSlash(request.url))
        return reply.code(400).header("cache-control", "no-store").send({
          error: "invalid_request",
          message: "The request path is not in normal form.",
          reason: "BAD_PATH",
        });
      if (overridesMethod(request.headers))
        return reply.code(400).header("cache-control", "no-store").send({
          error: "invalid_request",
          message: "Method override headers are not accepted: send the request with its own method.",
          reason: "METHOD_OVERRIDE",
        });
      const outcome = await options.guard(request.method, request.url, request.headers, { ip: request.ip });
      if (outcome.allowed) {
        request.tesseraAccess = outcome;
        return;
      }
      if (outcome.status === 503) request.log.warn({ reason: outcome.reason }, "access check unavailable");
      const refusal = refusalOf(outcome);
      return reply.code(refusal.status).headers(refusal.headers).send(refusal.body);
    });

    await proxy.register(replyFrom, {
      base: upstream.origin,
      undici: { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 },
    });

    const forward = (request: import("fastify").FastifyRequest, reply: import("fastify").FastifyReply) => {
      // The path and the query apart: reply-from decodes what it is given to look for dot segments, and a
      // query's own `%` or `../` (a redirect target, say) failed that with a 500 or a 400. The query goes
      // on as it came; the path has passed ambiguousPath and the guard.
      const at = request.url.indexOf("?");
      const path = at === -1 ? request.url : request.url.slice(0, at);
      const query = at === -1 ? "" : request.url.slice(at + 1);
      return reply.from(`${prefix}${path}`, {
        timeout: options.timeoutMs ?? 30_000,
        queryString: () => query,
        rewriteRequestHeaders: (req, headers) =>
          upstreamHeaders(headers, req.tesseraAccess, forwardCredentials, {
            ip: req.ip,
            peer: req.socket.remoteAddress,
            protocol: req.protocol,
            host: req.headers.host,
            trustProxy: options.trustProxy ?? false,
          }) as typeof headers,
        onError: (failed, { error }) => upstreamFailed(failed, error),
      });
    };
    proxy.all("/", forward);
    proxy.all("/*", forward);
  });
  return app;
}

/**
 * `%2F` or `%5C` in the path: the guard reads it as part of a segment, while the upstream may decode it into
 * a separator (dot segments and the rest are ambiguousPath's, shared with every route check).
 */
function encodedSlash(url: string): boolean {
  const end = url.search(/[?#]/);
  const path = (end === -1 ? url : url.slice(0, end)).toLowerCase();
  return path.includes("%2f") || path.includes("%5c");
}

/**
 * The upstream could not answer: 504 when it was too slow, else 502, with a body that names neither it nor
 * the error (its address was in the message). The error goes to the gateway's log.
 */
/** What upstreamFailed needs of a reply: reply-from's hands over a reply of its own server's types. */
interface FailureReply {
  log: { warn(details: object, message: string): void };
  code(status: number): { header(name: string, value: string): { send(body: unknown): unknown } };
}

function upstreamFailed(reply: FailureReply, error: Error & { code?: string }): void {
  reply.log.warn({ err: error }, "upstream request failed");
  const timedOut =
    error.code === "FST_REPLY_FROM_GATEWAY_TIMEOUT" || error.code?.includes("TIMEOUT") === true;
  reply
    .code(timedOut ? 504 : 502)
    .header("cache-control", "no-store")
    .send({
      error: timedOut ? "upstream_timeout" : "bad_gateway",
      message: timedOut ? "The upstream did not answer in time." : "The upstream could not be reached.",
    });
}
