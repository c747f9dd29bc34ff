import { Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { TesseraError } from "../../errors";
import { ChangePageSchema, EnvironmentSchema, TokenSchema, TokenWithSecretSchema } from "../../schemas/admin";
import {
  answeredWith as answered,
  createdWith as created,
  Key,
  Name,
  Page,
  PageQuery,
} from "../../schemas/common";
import { decodeCursor, encodeCursor } from "../../services/catalog/cursor";
import { tokenView } from "../../services/tokens";
import type { TokenRecord } from "../../storage/store";
import { principalOf, requireRight } from "../auth";
import type { Services } from "../services";

const Right = Type.Union([Type.Literal("admin"), Type.Literal("manage"), Type.Literal("decide")]);

export function registerAdminRoutes(app: FastifyInstance, services: Services): void {
  const { environments, tokens, changes } = services;
  const admin = requireRight(tokens, "admin");
  const manage = requireRight(tokens, "manage");

  app.get(
    "/v1/environments",
    {
      onRequest: admin,
      schema: {
        operationId: "listEnvironments",
        tags: ["environments"],
        response: answered(Type.Object({ items: Type.Array(EnvironmentSchema) })),
      },
    },
    async () => ({
      items: await environments.list(),
    }),
  );

  app.post(
    "/v1/environments",
    {
      onRequest: admin,
      schema: {
        operationId: "createEnvironment",
        tags: ["environments"],
        body: Type.Object({ key: Key, name: Type.Optional(Name) }, { additionalProperties: false }),
        response: created(EnvironmentSchema),
      },
    },
    async (request, reply) =>
      reply.code(201).send(await environments.create(request.body as { key: string; name?: string })),
  );

  /**
   * An admin token makes tokens in any environment (`environment` in the body), so it lists and revokes them
   * there too: a token leaked from production is revoked with the admin token at hand, not one made for it.
   */
  const InEnvironment = Type.Object(
    {
      environment: Type.Optional(
        Type.String({ description: "Another environment's id or key; the token's own when absent" }),
      ),
    },
    { additionalProperties: false },
  );
  const environmentOf = async (request: FastifyRequest, environment: string | undefined) =>
    environment ? (await environments.get(environment)).id : principalOf(request).environmentId;

  const TokenBody = Type.Object(
    {
      name: Name,
      kind: Type.Optional(Type.Union([Type.Literal("management"), Type.Literal("server")])),
      rights: Type.Optional(Type.Array(Right, { minItems: 1, maxItems: 3 })),
      environment: Type.Optional(
        Type.String({ description: "Another environment's id or key (admin tokens only)" }),
      ),
      expiresAt: Type.Optional(
        Type.String({
          format: "date-time",
          description: "When the token stops working (in the future); when absent, it never does",
        }),
      ),
    },
    { additionalProperties: false },
  );

  app.post(
    "/v1/tokens",
    {
      onRequest: admin,
      schema: {
        operationId: "createToken",
        tags: ["tokens"],
        body: TokenBody,
        response: created(TokenWithSecretSchema),
      },
    },
    async (request, reply) => {
      const body = request.body as {
        name: string;
        kind?: "management" | "server";
        rights?: ("admin" | "manage" | "decide")[];
        environment?: string;
        expiresAt?: string;
      };
      const environmentId = await environmentOf(request, body.environment);
      const { token, secret } = await tokens.create(environmentId, body, principalOf(request).tokenId);
      // The secret is in this response and nowhere else, ever.
      return reply.code(201).send({ ...tokenView(token), token: secret });
    },
  );

  app.get(
    "/v1/tokens",
    {
      onRequest: admin,
      schema: {
        operationId: "listTokens",
        tags: ["tokens"],
        querystring: Type.Composite([PageQuery, InEnvironment], { additionalProperties: false }),
        response: answered(Page(TokenSchema)),
      },
    },
    async (request) => {
      const query = request.query as { cursor?: string; limit?: number; environment?: string };
      const environmentId = await environmentOf(request, query.environment);
      return pageOfTokens(await tokens.list(environmentId), query.cursor, query.limit ?? 100);
    },
  );

  app.delete(
    "/v1/tokens/:id",
    {
      onRequest: admin,
      schema: {
        operationId: "revokeToken",
        tags: ["tokens"],
        params: Type.Object({ id: Type.String() }),
        querystring: InEnvironment,
        response: answered(TokenSchema),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const principal = principalOf(request);
      if (id === principal.tokenId) {
        // Allowed, but say so: the caller is about to lock itself out.
        request.log.info({ tokenId: id }, "token revoked itself");
      }
      const { environment } = request.query as { environment?: string };
      const environmentId = await environmentOf(request, environment);
      return tokenView(await tokens.revoke(environmentId, id, principal.tokenId));
    },
  );

  app.get(
    "/v1/changes",
    {
      onRequest: manage,
      schema: {
        operationId: "listChanges",
        tags: ["changes"],
        // Unknown parameters are refused, as on every other list: a filter misspelt, or a `cursor` (this
        // feed pages by afterRevision, from the last page's nextAfterRevision), was ignored, and the caller
        // shown the feed from its start as though it were what was asked for.
        querystring: Type.Object(
          {
            // Revisions are bigints in the database: past 2^53 they are not even exact numbers here.
            afterRevision: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            kind: Type.Optional(Type.String({ maxLength: 50 })),
            resourceId: Type.Optional(Type.String({ maxLength: 300 })),
          },
          { additionalProperties: false },
        ),
        response: answered(ChangePageSchema),
      },
    },
    async (request) => changes.list(principalOf(request).environmentId, request.query as never),
  );
}

/**
 * A page of an environment's tokens, oldest first, revoked ones included, as the other lists page: `limit`
 * of them and the cursor of the next page. Tokens are never deleted, so the last one of a page is always
 * there to continue after; a cursor naming none is one this API did not return.
 */
function pageOfTokens(all: TokenRecord[], cursor: string | undefined, limit: number) {
  let start = 0;
  if (cursor !== undefined) {
    const after = decodeCursor("token", cursor);
    start = all.findIndex((t) => t.id === after) + 1;
    if (start === 0) {
      throw new TesseraError("INVALID_CURSOR", "The cursor is not one this API returned.", [
        { pointer: "/cursor", message: "not a valid cursor", code: "INVALID_CURSOR" },
      ]);
    }
  }
  const items = all.slice(start, start + limit);
  const more = start + limit < all.length;
  return {
    items: items.map(tokenView),
    ...(more ? { nextCursor: encodeCursor("token", items.at(-1)!.id) } : {}),
  };
}
