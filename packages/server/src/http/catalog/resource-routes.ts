import { type TObject, Type } from "@sinclair/typebox";
import type { ResourceKind } from "@tessera/sdk/core";
import type { FastifyInstance } from "fastify";
import { Metadata, Page, PageQuery, ProblemResponses } from "../../schemas/common";
import { principalOf, requireRight } from "../auth";
import type { Services } from "../services";

export interface ResourceRoutes {
  kind: ResourceKind;
  /** URL segment and OpenAPI tag: `features`. */
  plural: string;
  /** Name of the id in URLs: `key` or `id`. */
  idParam: string;
  create: TObject;
  patch: TObject;
  /** Extra list filters. */
  listFilters?: TObject;
  /** Name used in operationIds: `Feature` → createFeature, listFeatures… */
  singular: string;
}

const errors = ProblemResponses;

/** The five routes every resource kind has, generated from its schemas so docs and validation agree. */
export function registerResourceRoutes(app: FastifyInstance, services: Services, spec: ResourceRoutes): void {
  const { catalog, tokens } = services;
  const base = `/v1/${spec.plural}`;
  const item = Type.Object({ ...spec.create.properties, ...Metadata }, { additionalProperties: true });
  const params = Type.Object({ [spec.idParam]: Type.String({ minLength: 1, maxLength: 300 }) });
  const tags = [spec.plural];
  const manage = requireRight(tokens, "manage");

  app.post(
    base,
    {
      onRequest: manage,
      schema: {
        operationId: `create${spec.singular}`,
        tags,
        body: spec.create,
        response: { 201: item, ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const created = await catalog.create(
        principal.environmentId,
        principal.tokenId,
        spec.kind,
        request.body,
      );
      return reply.code(201).send(created);
    },
  );

  app.get(
    base,
    {
      onRequest: manage,
      schema: {
        operationId: `list${spec.singular}s`,
        tags,
        // Unknown parameters are refused, as unknown body fields are: a filter the list does not have (a
        // tenantId on users, say) would otherwise be ignored, and the caller shown everyone's.
        querystring: Type.Composite([PageQuery, ...(spec.listFilters ? [spec.listFilters] : [])], {
          additionalProperties: false,
        }),
        response: { 200: Page(item), ...errors },
      },
    },
    async (request) => {
      const { cursor, limit, tenantId } = request.query as {
        cursor?: string;
        limit?: number;
        tenantId?: string;
      };
      // The schema lets through only the filters this list declares.
      return catalog.list(principalOf(request).environmentId, spec.kind, { cursor, limit, tenantId });
    },
  );

  app.get(
    `${base}/:${spec.idParam}`,
    {
      onRequest: manage,
      schema: { operationId: `get${spec.singular}`, tags, params, response: { 200: item, ...errors } },
    },
    async (request) => {
      const id = (request.params as Record<string, string>)[spec.idParam]!;
      return catalog.get(principalOf(request).environmentId, spec.kind, id);
    },
  );

  app.patch(
    `${base}/:${spec.idParam}`,
    {
      onRequest: manage,
      schema: {
        operationId: `update${spec.singular}`,
        tags,
        description:
          "Changes the fields the body names and keeps the others. Each named field is replaced whole: a " +
          "map such as a plan's `features` or a tenant's `attributes` is the complete new map, not merged.",
        params,
        body: spec.patch,
        response: { 200: item, ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const id = (request.params as Record<string, string>)[spec.idParam]!;
      return catalog.update(principal.environmentId, principal.tokenId, spec.kind, id, request.body);
    },
  );

  app.delete(
    `${base}/:${spec.idParam}`,
    {
      onRequest: manage,
      schema: {
        operationId: `delete${spec.singular}`,
        tags,
        params,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const id = (request.params as Record<string, string>)[spec.idParam]!;
      await catalog.delete(principal.environmentId, principal.tokenId, spec.kind, id);
      return reply.code(204).send();
    },
  );
}
