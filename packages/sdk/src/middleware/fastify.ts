import type { Decision } from "../core/decision";
import { createGuard, pathOf, type RequireEntitlementOptions } from "./guard";

/** The little of FastifyRequest the guard reads; typed structurally so the SDK needs no fastify import. */
export interface FastifyLikeRequest {
  method: string;
  url: string;
  tessera?: Decision | undefined;
}

export interface FastifyLikeReply {
  code(statusCode: number): FastifyLikeReply;
  header(name: string, value: string): FastifyLikeReply;
  send(payload?: unknown): FastifyLikeReply;
}

export type FastifyPreHandler<Req extends FastifyLikeRequest = FastifyLikeRequest> = (
  request: Req,
  reply: FastifyLikeReply,
) => Promise<FastifyLikeReply | undefined>;

/**
 * A Fastify `preHandler` hook: `app.get("/reports", { preHandler: requireEntitlement({...}) }, handler)`.
 * On success the decision is at `request.tessera`; declare it on FastifyRequest to read it typed.
 */
export function requireEntitlement<Req extends FastifyLikeRequest = FastifyLikeRequest>(
  options: RequireEntitlementOptions<Req>,
): FastifyPreHandler<Req> {
  const guard = createGuard(options);
  return async (request, reply) => {
    const outcome = await guard(request, { method: request.method, path: pathOf(request.url) });
    if (outcome.allow) {
      request.tessera = outcome.decision;
      return undefined;
    }
    // An async hook that has sent a reply must return it, so Fastify stops the chain there.
    return reply.code(outcome.status).header("cache-control", "no-store").send(outcome.body);
  };
}
