import type { FastifyInstance } from "fastify";
import { answeredWith as answered, createdWith as created } from "../../schemas/common";
import { SeedActionSchema, SeedRelationsSchema } from "../../schemas/relationship-answers";
import { KeyActionParams, KeyParams, SeedActionBody, SeedRelationsBody } from "../../schemas/relationships";
import { deleteAction, putAction, upsertRelations } from "../../services/relationships/entity-types";
import { principalOf, requireRight } from "../auth";
import type { Services } from "../services";
import { answers } from "./answers";

type RelationKeys = (string | { fromRelation: string; toAction: string })[];

/**
 * The seed's (Frontegg's) entity-type endpoints, with its bodies, so clients written for them work.
 * `vendorId` is the environment's id. They edit the same entity types as /v1/relationships/entity-types.
 */
export function registerSeedRelationshipRoutes(app: FastifyInstance, services: Services): void {
  const { relationshipModel: models, tokens } = services;
  const manage = requireRight(tokens, "manage");
  const tags = ["relationships"];
  const base = "/resources/entity-types/v1/:key";

  app.post(
    `${base}/relations`,
    {
      onRequest: manage,
      schema: {
        operationId: "seedCreateRelations",
        tags,
        response: created(SeedRelationsSchema),
        params: KeyParams,
        body: SeedRelationsBody,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const { key } = req.params as { key: string };
      const body = req.body as { relations: { key: string; subjectEntityKeys: string[] }[] };
      const rels = body.relations.map((r) => ({ key: r.key, subjectEntityTypeKeys: r.subjectEntityKeys }));
      await models.editEntityTypes(p.environmentId, p.tokenId, (t) => upsertRelations(t, key, rels));
      return reply.code(201).send(
        rels.map((r) => ({
          vendorId: p.environmentId,
          targetEntityTypeKey: key,
          key: r.key,
          subjectEntityTypeKeys: r.subjectEntityTypeKeys,
        })),
      );
    },
  );

  app.patch(
    `${base}/actions/:actionKey`,
    {
      onRequest: manage,
      schema: {
        operationId: "seedPutAction",
        tags,
        response: answered(SeedActionSchema),
        params: KeyActionParams,
        body: SeedActionBody,
      },
    },
    async (req) => {
      const p = principalOf(req);
      const { key, actionKey } = req.params as { key: string; actionKey: string };
      const body = req.body as { key: string; relationKeys: RelationKeys };
      const action = await models.editEntityTypes(p.environmentId, p.tokenId, (t) =>
        putAction(t, key, actionKey, body),
      );
      return {
        vendorId: p.environmentId,
        entityTypeKey: key,
        key: action.key,
        relationKeys: action.relationKeys,
      };
    },
  );

  app.delete(
    `${base}/actions/:actionKey`,
    {
      onRequest: manage,
      schema: {
        operationId: "seedDeleteAction",
        tags,
        response: answers(204, "Deleted"),
        params: KeyActionParams,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const { key, actionKey } = req.params as { key: string; actionKey: string };
      await models.editEntityTypes(p.environmentId, p.tokenId, (t) => deleteAction(t, key, actionKey));
      return reply.code(204).send();
    },
  );
}
