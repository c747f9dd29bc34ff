/**
 * For bench/http-stages.ts: routes in the bench's Tessera server that stop part-way along POST /v1/check.
 * Kept apart from http-server.ts, which runs as a process on import.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Decision } from "../packages/sdk/src/core/decision";
import { principalOf, requireRight } from "../packages/server/src/http/auth";
import { serializeDecision } from "../packages/server/src/http/decisions/serialize";
import { CheckBody, type CheckBodyType } from "../packages/server/src/schemas/decisions";
import type { Tessera } from "../packages/server/src/server";

/**
 * Routes that go part of the way along POST /v1/check and then answer the constant, each one stage further
 * than the one before: what a stage costs is the difference between it and the one before.
 */
export const STAGES = [
  { name: "authenticate", path: "/bench/stages/authenticate", does: "the credential hook" },
  { name: "validate", path: "/bench/stages/validate", does: "+ the body's JSON schema" },
  { name: "decide", path: "/bench/stages/decide", does: "+ the decision (its id included)" },
  { name: "serialize", path: "/bench/stages/serialize", does: "+ writing the decision's JSON" },
  { name: "check", path: "/v1/check", does: "+ sending that JSON: the real route" },
] as const;

export function addStageRoutes(server: Tessera, constant: string): void {
  const { tokens, decisions } = server.services;
  const onRequest = requireRight(tokens, "decide");
  const answer = (reply: FastifyReply, done: unknown) => {
    reply.header("content-type", "application/json; charset=utf-8");
    // `done` is used, so that the work before it cannot be dropped as dead code.
    return done === undefined ? "" : constant;
  };
  const [authenticate, validate, decide, serialize] = STAGES;
  const schema = { body: CheckBody };
  const decision = (request: FastifyRequest) =>
    decisions.check(principalOf(request).environmentId, request.body as CheckBodyType) as Decision;
  server.app.post(authenticate.path, { onRequest }, (_request, reply) => answer(reply, true));
  server.app.post(validate.path, { onRequest, schema }, (request, reply) => answer(reply, request.body));
  server.app.post(decide.path, { onRequest, schema }, (request, reply) =>
    answer(reply, decision(request).decisionId),
  );
  server.app.post(serialize.path, { onRequest, schema }, (request, reply) =>
    answer(reply, serializeDecision(decision(request))),
  );
}
