import { type AccessGrant, type AccessGuardSource, accessGuardOf, grantOf, refusalOf } from "./bearer-guard";
import type { FastifyLikeReply } from "./fastify";

/** The little of FastifyRequest the bearer guard reads; typed structurally so the SDK needs no fastify import. */
export interface BearerFastifyRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  ip?: string | undefined;
  tesseraAccess?: AccessGrant | undefined;
}

export type BearerFastifyHook<Req extends BearerFastifyRequest = BearerFastifyRequest> = (
  request: Req,
  reply: FastifyLikeReply,
) => Promise<FastifyLikeReply | undefined>;

/**
 * A Fastify hook enforcing an API's scopes: `app.addHook("preHandler", requireAccess({ api, issuer }))`, or
 * as `onRequest` to refuse before the body is read. The caller's claims are at `request.tesseraAccess`.
 */
export function requireAccess<Req extends BearerFastifyRequest = BearerFastifyRequest>(
  source: AccessGuardSource,
): BearerFastifyHook<Req> {
  const guard = accessGuardOf(source);
  return async (request, reply) => {
    const outcome = await guard(request.method, request.url, request.headers, { ip: request.ip });
    if (outcome.allowed) {
      request.tesseraAccess = grantOf(outcome);
      return undefined;
    }
    const refusal = refusalOf(outcome);
    reply.code(refusal.status);
    for (const [name, value] of Object.entries(refusal.headers)) reply.header(name, value);
    // An async hook that has sent a reply must return it, so Fastify stops the chain there.
    return reply.send(refusal.body);
  };
}
