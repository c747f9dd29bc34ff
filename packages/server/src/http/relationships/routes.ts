import type { relations } from "@tessera/sdk/core";
import type { FastifyInstance } from "fastify";
import { TesseraError } from "../../errors";
import { answeredWith as answered, createdWith as created } from "../../schemas/common";
import {
  ActionListSchema,
  ActionSchema,
  BatchCheckAnswerSchema,
  CheckAnswerSchema,
  EntityTypeListSchema,
  EntityTypeSchema,
  ExpandAnswerSchema,
  ListObjectsAnswerSchema,
  ListUsersAnswerSchema,
  ModelSchema,
  RelationListSchema,
  RelationSchema,
  TuplePageSchema,
  TupleWriteSchema,
} from "../../schemas/relationship-answers";
import {
  ActionPutBody,
  BatchCheckBody,
  CheckBody,
  EntityTypeBody,
  ExpandBody,
  KeyActionParams,
  KeyParams,
  KeyRelationParams,
  ListObjectsBody,
  ListUsersBody,
  ModelBody,
  RelationDef,
  TupleListQuery,
  TupleWriteBody,
} from "../../schemas/relationships";
import {
  createEntityType,
  deleteAction,
  deleteEntityType,
  deleteRelation,
  findEntityType,
  putAction,
  upsertRelations,
} from "../../services/relationships/entity-types";
import type { CheckInput, TupleWriteInput } from "../../services/relationships/relationship-service";
import { principalOf, requireRight } from "../auth";
import type { Services } from "../services";
import { answers } from "./answers";

type EntityType = relations.SeedEntityType;
type Body<T> = { body: T };

// A create answers 201, a delete 204 with no body (answers), every other operation 200, with the body's
// schema from schemas/relationship-answers.ts.

/** Tessera's relationship API: the model (DSL or JSON, or entity types), tuples, and the queries. */
export function registerRelationshipRoutes(app: FastifyInstance, services: Services): void {
  const { relationships, relationshipModel: models, tokens } = services;
  const manage = requireRight(tokens, "manage");
  const decide = requireRight(tokens, "decide");
  const tags = ["relationships"];
  const base = "/v1/relationships";

  app.get(
    `${base}/model`,
    {
      onRequest: manage,
      schema: {
        operationId: "getRelationshipModel",
        tags,
        response: answered(ModelSchema),
      },
    },
    (req) => models.get(principalOf(req).environmentId),
  );
  app.put(
    `${base}/model`,
    {
      onRequest: manage,
      schema: {
        operationId: "putRelationshipModel",
        tags,
        response: answered(ModelSchema),
        body: ModelBody,
      },
    },
    (req) => {
      const p = principalOf(req);
      return models.put(p.environmentId, p.tokenId, req.body as { dsl?: string; model?: never });
    },
  );

  // Entity types: the model edited the seed's way, through Tessera's own paths.
  const edit = <T>(req: { principal?: unknown }, fn: (types: EntityType[]) => T) => {
    const p = principalOf(req as never);
    return models.editEntityTypes(p.environmentId, p.tokenId, fn);
  };
  const types = `${base}/entity-types`;
  app.get(
    types,
    {
      onRequest: manage,
      schema: { operationId: "listEntityTypes", tags, response: answered(EntityTypeListSchema) },
    },
    async (req) => ({
      items: await models.entityTypes(principalOf(req).environmentId),
    }),
  );
  app.post(
    types,
    {
      onRequest: manage,
      schema: {
        operationId: "createEntityType",
        tags,
        response: created(EntityTypeSchema),
        body: EntityTypeBody,
      },
    },
    async (req, reply) =>
      reply.code(201).send(await edit(req, (t) => createEntityType(t, (req as Body<EntityType>).body))),
  );
  app.get(
    `${types}/:key`,
    {
      onRequest: manage,
      schema: {
        operationId: "getEntityType",
        tags,
        response: answered(EntityTypeSchema),
        params: KeyParams,
      },
    },
    async (req) => findEntityType(await models.entityTypes(principalOf(req).environmentId), key(req)),
  );
  app.delete(
    `${types}/:key`,
    {
      onRequest: manage,
      schema: { operationId: "deleteEntityType", tags, response: answers(204, "Deleted"), params: KeyParams },
    },
    async (req, reply) => {
      await edit(req, (t) => deleteEntityType(t, key(req)));
      return reply.code(204).send();
    },
  );
  app.get(
    `${types}/:key/relations`,
    {
      onRequest: manage,
      schema: {
        operationId: "listEntityTypeRelations",
        tags,
        response: answered(RelationListSchema),
        params: KeyParams,
      },
    },
    async (req) => ({
      items:
        findEntityType(await models.entityTypes(principalOf(req).environmentId), key(req)).relations ?? [],
    }),
  );
  app.post(
    `${types}/:key/relations`,
    {
      onRequest: manage,
      schema: {
        operationId: "createEntityTypeRelation",
        tags,
        response: created(RelationSchema),
        params: KeyParams,
        body: RelationDef,
      },
    },
    async (req, reply) => {
      const rel = (req as Body<{ key: string; subjectEntityTypeKeys: string[] }>).body;
      return reply.code(201).send((await edit(req, (t) => upsertRelations(t, key(req), [rel])))[0]);
    },
  );
  app.get(
    `${types}/:key/relations/:relationKey`,
    {
      onRequest: manage,
      schema: {
        operationId: "getEntityTypeRelation",
        tags,
        response: answered(RelationSchema),
        params: KeyRelationParams,
      },
    },
    async (req) => {
      const { key: k, relationKey } = req.params as { key: string; relationKey: string };
      const et = findEntityType(await models.entityTypes(principalOf(req).environmentId), k);
      const rel = et.relations?.find((r) => r.key === relationKey);
      if (!rel) throw new TesseraError("NOT_FOUND", `Entity type "${k}" has no relation "${relationKey}".`);
      return rel;
    },
  );
  app.delete(
    `${types}/:key/relations/:relationKey`,
    {
      onRequest: manage,
      schema: {
        operationId: "deleteEntityTypeRelation",
        tags,
        response: answers(204, "Deleted"),
        params: KeyRelationParams,
      },
    },
    async (req, reply) => {
      const { relationKey } = req.params as { relationKey: string };
      await edit(req, (t) => deleteRelation(t, key(req), relationKey));
      return reply.code(204).send();
    },
  );
  app.get(
    `${types}/:key/actions`,
    {
      onRequest: manage,
      schema: {
        operationId: "listEntityTypeActions",
        tags,
        response: answered(ActionListSchema),
        params: KeyParams,
      },
    },
    async (req) => ({
      items: findEntityType(await models.entityTypes(principalOf(req).environmentId), key(req)).actions ?? [],
    }),
  );
  app.get(
    `${types}/:key/actions/:actionKey`,
    {
      onRequest: manage,
      schema: {
        operationId: "getEntityTypeAction",
        tags,
        response: answered(ActionSchema),
        params: KeyActionParams,
      },
    },
    async (req) => {
      const { key: k, actionKey } = req.params as { key: string; actionKey: string };
      const et = findEntityType(await models.entityTypes(principalOf(req).environmentId), k);
      const action = et.actions?.find((a) => a.key === actionKey);
      if (!action) throw new TesseraError("NOT_FOUND", `Entity type "${k}" has no action "${actionKey}".`);
      return action;
    },
  );
  app.put(
    `${types}/:key/actions/:actionKey`,
    {
      onRequest: manage,
      schema: {
        operationId: "putEntityTypeAction",
        tags,
        response: answered(ActionSchema),
        params: KeyActionParams,
        body: ActionPutBody,
      },
    },
    (req) => {
      const { actionKey } = req.params as { actionKey: string };
      const { relationKeys } = req.body as { relationKeys: EntityTypeAction["relationKeys"] };
      return edit(req, (t) => putAction(t, key(req), actionKey, { key: actionKey, relationKeys }));
    },
  );
  app.delete(
    `${types}/:key/actions/:actionKey`,
    {
      onRequest: manage,
      schema: {
        operationId: "deleteEntityTypeAction",
        tags,
        response: answers(204, "Deleted"),
        params: KeyActionParams,
      },
    },
    async (req, reply) => {
      const { actionKey } = req.params as { actionKey: string };
      await edit(req, (t) => deleteAction(t, key(req), actionKey));
      return reply.code(204).send();
    },
  );

  app.post(
    `${base}/tuples/write`,
    {
      onRequest: manage,
      schema: {
        operationId: "writeTuples",
        tags,
        response: answered(TupleWriteSchema),
        body: TupleWriteBody,
      },
    },
    (req) => {
      const p = principalOf(req);
      return relationships.writeTuples(p.environmentId, p.tokenId, req.body as TupleWriteInput);
    },
  );
  app.get(
    `${base}/tuples`,
    {
      onRequest: manage,
      schema: {
        operationId: "listTuples",
        tags,
        response: answered(TuplePageSchema),
        querystring: TupleListQuery,
      },
    },
    (req) => relationships.listTuples(principalOf(req).environmentId, req.query as never),
  );

  app.post(
    `${base}/check`,
    {
      onRequest: decide,
      schema: {
        operationId: "checkRelation",
        tags,
        response: answered(CheckAnswerSchema),
        body: CheckBody,
      },
    },
    (req) => relationships.check(principalOf(req).environmentId, req.body as CheckInput),
  );
  app.post(
    `${base}/check/batch`,
    {
      onRequest: decide,
      schema: {
        operationId: "batchCheckRelations",
        tags,
        response: answered(BatchCheckAnswerSchema),
        body: BatchCheckBody,
      },
    },
    (req) => {
      const body = req.body as { checks: CheckInput[]; atLeastRevision?: number };
      return relationships.batchCheck(principalOf(req).environmentId, body.checks, body.atLeastRevision);
    },
  );
  app.post(
    `${base}/list-objects`,
    {
      onRequest: decide,
      schema: {
        operationId: "listObjects",
        tags,
        response: answered(ListObjectsAnswerSchema),
        body: ListObjectsBody,
      },
    },
    (req) => relationships.listObjects(principalOf(req).environmentId, req.body as never),
  );
  app.post(
    `${base}/list-users`,
    {
      onRequest: decide,
      schema: {
        operationId: "listRelationshipUsers",
        tags,
        response: answered(ListUsersAnswerSchema),
        body: ListUsersBody,
      },
    },
    (req) => relationships.listUsers(principalOf(req).environmentId, req.body as never),
  );
  app.post(
    `${base}/expand`,
    {
      onRequest: decide,
      schema: {
        operationId: "expandRelation",
        tags,
        response: answered(ExpandAnswerSchema),
        body: ExpandBody,
      },
    },
    (req) => relationships.expand(principalOf(req).environmentId, req.body as never),
  );
}

type EntityTypeAction = NonNullable<EntityType["actions"]>[number];

function key(req: { params: unknown }): string {
  return (req.params as { key: string }).key;
}
