import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { answeredWith as answered, createdWith as created, Page, PageQuery } from "../../schemas/common";
import {
  ApiKeyCreateBody,
  type ApiKeyCreateBodyType,
  ApiKeyPatchBody,
  type ApiKeyPatchBodyType,
  ApiKeySchema,
  ApiKeyWithSecretSchema,
  ApplicationCreateBody,
  type ApplicationCreateBodyType,
  ApplicationParams,
  ApplicationPatchBody,
  type ApplicationPatchBodyType,
  ApplicationSchema,
  ApplicationWithSecretSchema,
  KeyParams,
  KeyVerificationSchema,
  RotateBody,
  RotatedApiKeySchema,
  VerifyKeyBody,
  type VerifyKeyBodyType,
} from "../../schemas/credentials";
import { principalOf, requireRight } from "../auth";
import type { Services } from "../services";

// A create answers 201, every other operation 200 (a revoke answers the revoked record), with the body's
// schema from schemas/credentials.ts.

/** Applications, their client secrets and API keys (manage), and key verification for gateways (decide). */
export function registerCredentialRoutes(app: FastifyInstance, services: Services): void {
  const { applications, apiKeys, tokens } = services;
  const manage = requireRight(tokens, "manage");
  const decide = requireRight(tokens, "decide");
  const env = (request: Parameters<typeof principalOf>[0]) => principalOf(request).environmentId;
  /** Who made a change: the caller's token, as the change record names it. */
  const actor = (request: Parameters<typeof principalOf>[0]) => principalOf(request).tokenId;
  const tags = ["applications"];

  app.post(
    "/v1/applications",
    {
      onRequest: manage,
      schema: {
        operationId: "createApplication",
        tags,
        body: ApplicationCreateBody,
        response: created(ApplicationWithSecretSchema),
      },
    },
    async (request, reply) => {
      const { application, clientSecret } = await applications.create(
        env(request),
        actor(request),
        request.body as ApplicationCreateBodyType,
      );
      // The secret is in this response and nowhere else, ever.
      return reply.code(201).send({ ...application, clientSecret });
    },
  );

  app.get(
    "/v1/applications",
    {
      onRequest: manage,
      schema: {
        operationId: "listApplications",
        tags,
        // Unknown parameters are refused, as on the catalog's lists: a filter this list does not have would
        // otherwise be ignored, and the caller shown every application.
        querystring: Type.Composite([PageQuery, Type.Object({ tenantId: Type.Optional(Type.String()) })], {
          additionalProperties: false,
        }),
        response: answered(Page(ApplicationSchema)),
      },
    },
    async (request) => applications.list(env(request), request.query as never),
  );

  app.get(
    "/v1/applications/:id",
    {
      onRequest: manage,
      schema: {
        operationId: "getApplication",
        tags,
        params: ApplicationParams,
        response: answered(ApplicationSchema),
      },
    },
    async (request) => applications.get(env(request), (request.params as { id: string }).id),
  );

  app.patch(
    "/v1/applications/:id",
    {
      onRequest: manage,
      schema: {
        operationId: "updateApplication",
        tags,
        params: ApplicationParams,
        body: ApplicationPatchBody,
        response: answered(ApplicationSchema),
      },
    },
    async (request) =>
      applications.update(
        env(request),
        actor(request),
        (request.params as { id: string }).id,
        request.body as ApplicationPatchBodyType,
      ),
  );

  app.delete(
    "/v1/applications/:id",
    {
      onRequest: manage,
      schema: {
        operationId: "revokeApplication",
        tags,
        params: ApplicationParams,
        response: answered(ApplicationSchema),
      },
    },
    async (request) =>
      applications.revoke(env(request), actor(request), (request.params as { id: string }).id),
  );

  app.post(
    "/v1/applications/:id/secret/rotate",
    {
      onRequest: manage,
      schema: {
        operationId: "rotateClientSecret",
        tags,
        params: ApplicationParams,
        body: RotateBody,
        response: answered(ApplicationWithSecretSchema),
      },
    },
    async (request) => {
      const { application, clientSecret } = await applications.rotateSecret(
        env(request),
        actor(request),
        (request.params as { id: string }).id,
        (request.body as { gracePeriodSeconds: number }).gracePeriodSeconds,
      );
      return { ...application, clientSecret };
    },
  );

  const keyTags = ["api-keys"];

  app.post(
    "/v1/applications/:id/keys",
    {
      onRequest: manage,
      schema: {
        operationId: "createApiKey",
        tags: keyTags,
        params: ApplicationParams,
        body: ApiKeyCreateBody,
        response: created(ApiKeyWithSecretSchema),
      },
    },
    async (request, reply) => {
      const { apiKey, key } = await apiKeys.create(
        env(request),
        actor(request),
        (request.params as { id: string }).id,
        request.body as ApiKeyCreateBodyType,
      );
      return reply.code(201).send({ ...apiKey, key });
    },
  );

  app.get(
    "/v1/applications/:id/keys",
    {
      onRequest: manage,
      schema: {
        operationId: "listApiKeys",
        tags: keyTags,
        params: ApplicationParams,
        querystring: Type.Composite([PageQuery], { additionalProperties: false }),
        response: answered(Page(ApiKeySchema)),
      },
    },
    async (request) =>
      apiKeys.list(env(request), (request.params as { id: string }).id, request.query as never),
  );

  app.get(
    "/v1/applications/:id/keys/:keyId",
    {
      onRequest: manage,
      schema: {
        operationId: "getApiKey",
        tags: keyTags,
        params: KeyParams,
        response: answered(ApiKeySchema),
      },
    },
    async (request) => {
      const { id, keyId } = request.params as { id: string; keyId: string };
      return apiKeys.get(env(request), id, keyId);
    },
  );

  app.patch(
    "/v1/applications/:id/keys/:keyId",
    {
      onRequest: manage,
      schema: {
        operationId: "updateApiKey",
        tags: keyTags,
        params: KeyParams,
        body: ApiKeyPatchBody,
        response: answered(ApiKeySchema),
      },
    },
    async (request) => {
      const { id, keyId } = request.params as { id: string; keyId: string };
      return apiKeys.update(env(request), actor(request), id, keyId, request.body as ApiKeyPatchBodyType);
    },
  );

  app.delete(
    "/v1/applications/:id/keys/:keyId",
    {
      onRequest: manage,
      schema: {
        operationId: "revokeApiKey",
        tags: keyTags,
        params: KeyParams,
        response: answered(ApiKeySchema),
      },
    },
    async (request) => {
      const { id, keyId } = request.params as { id: string; keyId: string };
      return apiKeys.revoke(env(request), actor(request), id, keyId);
    },
  );

  app.post(
    "/v1/applications/:id/keys/:keyId/rotate",
    {
      onRequest: manage,
      schema: {
        operationId: "rotateApiKey",
        tags: keyTags,
        params: KeyParams,
        body: RotateBody,
        response: answered(RotatedApiKeySchema),
      },
    },
    async (request) => {
      const { id, keyId } = request.params as { id: string; keyId: string };
      const { apiKey, key, previous } = await apiKeys.rotate(
        env(request),
        actor(request),
        id,
        keyId,
        (request.body as { gracePeriodSeconds: number }).gracePeriodSeconds,
      );
      return { ...apiKey, key, previous };
    },
  );

  app.post(
    "/v1/keys/verify",
    {
      onRequest: decide,
      schema: {
        operationId: "verifyApiKey",
        tags: keyTags,
        description: "An invalid key is an answer ({valid: false, code}), not an error.",
        body: VerifyKeyBody,
        response: answered(KeyVerificationSchema),
      },
    },
    async (request) => {
      const body = request.body as VerifyKeyBodyType;
      return apiKeys.verify(env(request), body.key, {
        ip: body.ip,
        route: body.route,
        scopes: body.scopes,
        at: body.at === undefined ? undefined : new Date(body.at),
      });
    },
  );
}
