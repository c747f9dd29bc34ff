import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { TesseraError } from "../../errors";
import { ProblemSchema } from "../../schemas/common";
import {
  BatchBody,
  CheckBody,
  type CheckBodyType,
  DecisionSchema,
  LookupBody,
} from "../../schemas/decisions";
import { principalOf, requireRight } from "../auth";
import type { Services } from "../services";

const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };

/** One question per check; a permission is always a user's. Refused here, before the evaluator. */
function assertOneQuestion(check: CheckBodyType, pointer: string): void {
  const asked = [check.feature, check.permission, check.route, check.entity].filter(
    (q) => q !== undefined,
  ).length;
  if (asked !== 1) {
    throw new TesseraError(
      "VALIDATION_FAILED",
      "A check asks exactly one of feature, permission, route or entity.",
      [{ pointer, message: "give exactly one of feature, permission, route, entity" }],
    );
  }
  if ((check.permission !== undefined || check.entity !== undefined) && check.subject.userId === undefined) {
    throw new TesseraError(
      "VALIDATION_FAILED",
      "Permissions and entities are checked for a user: give subject.userId.",
      [{ pointer: `${pointer}/subject/userId`, message: "required for a permission or entity check" }],
    );
  }
}

export function registerDecisionRoutes(app: FastifyInstance, { decisions, tokens }: Services): void {
  const decide = requireRight(tokens, "decide");

  app.post(
    "/v1/check",
    {
      onRequest: decide,
      schema: {
        operationId: "check",
        tags: ["decisions"],
        body: CheckBody,
        response: { 200: DecisionSchema, ...errors },
      },
    },
    async (request) => {
      const body = request.body as CheckBodyType;
      assertOneQuestion(body, "");
      return decisions.check(principalOf(request).environmentId, body);
    },
  );

  app.post(
    "/v1/check/batch",
    {
      onRequest: decide,
      schema: {
        operationId: "checkBatch",
        tags: ["decisions"],
        body: BatchBody,
        response: { 200: Type.Object({ decisions: Type.Array(DecisionSchema) }), ...errors },
      },
    },
    async (request) => {
      const { checks } = request.body as { checks: CheckBodyType[] };
      for (const [i, check] of checks.entries()) assertOneQuestion(check, `/checks/${i}`);
      return { decisions: await decisions.checkBatch(principalOf(request).environmentId, checks) };
    },
  );

  app.post(
    "/v1/lookup",
    {
      onRequest: decide,
      schema: { operationId: "lookupEntitlements", tags: ["decisions"], body: LookupBody, response: errors },
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
        response: { ...errors, 404: ProblemSchema },
      },
    },
    async (request) => {
      const { subscriptionKey } = request.query as { subscriptionKey: string };
      return decisions.subscriptionEntitlements(principalOf(request).environmentId, subscriptionKey);
    },
  );
}
