import { Type } from "@sinclair/typebox";
import type { Decision } from "@tessera/sdk/core";
import type { FastifyInstance, FastifyReply } from "fastify";
import { TesseraError } from "../../errors";
import { ok, ProblemSchema } from "../../schemas/common";
import {
  BatchBody,
  CheckBody,
  type CheckBodyType,
  DecisionSchema,
  LookupBody,
  LookupSchema,
  SubscriptionEntitlementsSchema,
} from "../../schemas/decisions";
import { principalOf, requireRight } from "../auth";
import type { Services } from "../services";
import { schemaValidatorCompiler } from "../validation";
import { serializeDecision, serializeDecisions } from "./serialize";

// Not answeredWith: these answer fewer problems than a management operation.
const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };

/** One question per check; a permission is always a user's. Refused here, before the evaluator. */
function assertOneQuestion(check: CheckBodyType, pointer: string): void {
  const asked =
    (check.feature !== undefined ? 1 : 0) +
    (check.permission !== undefined ? 1 : 0) +
    (check.route !== undefined ? 1 : 0) +
    (check.entity !== undefined ? 1 : 0);
  if (asked !== 1) {
    throw new TesseraError(
      "VALIDATION_FAILED",
      "A check asks exactly one of feature, permission, route or entity.",
      [
        {
          pointer: pointer || "/",
          message: "give exactly one of feature, permission, route, entity",
          code: "oneOf",
        },
      ],
    );
  }
  if ((check.permission !== undefined || check.entity !== undefined) && check.subject.userId === undefined) {
    throw new TesseraError(
      "VALIDATION_FAILED",
      "Permissions and entities are checked for a user: give subject.userId.",
      [
        {
          pointer: `${pointer}/subject/userId`,
          message: "required for a permission or entity check",
          code: "required",
        },
      ],
    );
  }
}

const JSON_UTF8 = "application/json; charset=utf-8";

/**
 * The checks read only the in-memory snapshot, where an id with a NUL in it simply matches nothing; so they
 * skip the walk over every string that keeps such text from the database (validation.ts), which would cost
 * every decision.
 */
const readsSnapshotOnly = { validatorCompiler: schemaValidatorCompiler };

/**
 * Sends a body serialized here (serialize.ts: the same bytes as the response schema's serializer, for less),
 * as a string with its JSON content type, which Fastify sends as it is. The response schemas stay on the
 * routes, for the OpenAPI document. The handlers are not async: once the snapshot is loaded a decision is
 * synchronous, and the reply is then written without waiting on a promise.
 */
function sendSerialized<T>(reply: FastifyReply, value: T | Promise<T>, serialize: (value: T) => string) {
  // type() stores the one header under a fixed name; header() would lowercase the name and read and write
  // the reply's headers by a computed key.
  reply.type(JSON_UTF8);
  return value instanceof Promise ? value.then(serialize) : serialize(value);
}

export function registerDecisionRoutes(app: FastifyInstance, { decisions, tokens }: Services): void {
  const decide = requireRight(tokens, "decide");

  app.post(
    "/v1/check",
    {
      onRequest: decide,
      ...readsSnapshotOnly,
      schema: {
        operationId: "check",
        tags: ["decisions"],
        body: CheckBody,
        response: { 200: DecisionSchema, ...errors },
      },
    },
    (request, reply) => {
      const body = request.body as CheckBodyType;
      assertOneQuestion(body, "");
      return sendSerialized<Decision>(
        reply,
        decisions.check(principalOf(request).environmentId, body),
        serializeDecision,
      );
    },
  );

  app.post(
    "/v1/check/batch",
    {
      onRequest: decide,
      ...readsSnapshotOnly,
      schema: {
        operationId: "checkBatch",
        tags: ["decisions"],
        body: BatchBody,
        response: { 200: Type.Object({ decisions: Type.Array(DecisionSchema) }), ...errors },
      },
    },
    (request, reply) => {
      const { checks } = request.body as { checks: CheckBodyType[] };
      for (const [i, check] of checks.entries()) assertOneQuestion(check, `/checks/${i}`);
      return sendSerialized<Decision[]>(
        reply,
        decisions.checkBatch(principalOf(request).environmentId, checks),
        serializeDecisions,
      );
    },
  );

  app.post(
    "/v1/lookup",
    {
      onRequest: decide,
      schema: {
        operationId: "lookupEntitlements",
        tags: ["decisions"],
        body: LookupBody,
        response: { 200: ok(LookupSchema), ...errors },
      },
    },
    async (request) => {
      const { subject, at } = request.body as { subject: CheckBodyType["subject"]; at?: string };
      const result = await decisions.lookup(principalOf(request).environmentId, subject, at);
      return {
        ...result,
        validUntil: result.validUntil === undefined ? undefined : new Date(result.validUntil).toISOString(),
      };
    },
  );

  app.get(
    "/v1/entitlements",
    {
      onRequest: decide,
      schema: {
        operationId: "listSubscriptionEntitlements",
        tags: ["decisions"],
        description: "The entitlements a subscription confers, by its id or its external key.",
        querystring: Type.Object({ subscriptionKey: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: ok(SubscriptionEntitlementsSchema), ...errors, 404: ProblemSchema },
      },
    },
    async (request) => {
      const { subscriptionKey } = request.query as { subscriptionKey: string };
      return decisions.subscriptionEntitlements(principalOf(request).environmentId, subscriptionKey);
    },
  );
}
