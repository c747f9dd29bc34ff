import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import {
  API_DOCUMENT_LIMIT,
  ApiKeyParams,
  ApiSchema,
  ApiSummarySchema,
  ImportApiBody,
  type ImportApiInput,
  ImportOutcomeSchema,
  OperationsSchema,
} from "../../schemas/apis";
import { Page, PageQuery, ProblemSchema } from "../../schemas/common";
import { principalOf, requireRight } from "../auth";
import type { Services } from "../services";

const errors = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  413: ProblemSchema,
  422: ProblemSchema,
};
const tags = ["apis"];

export function registerApiRoutes(app: FastifyInstance, { apis, environments, tokens }: Services): void {
  const manage = requireRight(tokens, "manage");
  // Reads of an API are for management and for enforcement points alike: a gateway or middleware fetches
  // the route table with a server key that only decides.
  const read = requireRight(tokens, ["decide", "manage"]);

  app.post(
    "/v1/apis/import",
    {
      onRequest: manage,
      // Descriptions are large (Box's is 1.7 MB of JSON); every other route keeps the server's limit.
      bodyLimit: API_DOCUMENT_LIMIT,
      schema: {
        operationId: "importApi",
        tags,
        description:
          "Imports an OpenAPI 3.0 / 3.1 or Swagger 2.0 description as the API name@major. Without " +
          "`apply: true` it only previews: the diff against the stored API and the plans and grants " +
          "naming scopes that would disappear.",
        body: ImportApiBody,
        response: { 200: ImportOutcomeSchema, ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return apis.import(principal.environmentId, principal.tokenId, request.body as ImportApiInput);
    },
  );

  app.get(
    "/v1/apis",
    {
      onRequest: read,
      schema: {
        operationId: "listApis",
        tags,
        querystring: PageQuery,
        response: { 200: Page(ApiSummarySchema), ...errors },
      },
    },
    async (request) => {
      const query = request.query as { cursor?: string; limit?: number };
      return apis.list(principalOf(request).environmentId, query);
    },
  );

  app.get(
    "/v1/apis/:key",
    {
      onRequest: read,
      schema: {
        operationId: "getApi",
        tags,
        params: ApiKeyParams,
        response: { 200: ApiSchema, ...errors },
      },
    },
    async (request) => {
      const { key } = request.params as { key: string };
      const { environmentId } = principalOf(request);
      // The environment's key, as tokens carry it in `env`: an enforcement point refuses other environments'.
      const [api, environment] = await Promise.all([
        apis.get(environmentId, key),
        environments.get(environmentId),
      ]);
      return { ...api, environment: environment.key };
    },
  );

  app.get(
    "/v1/apis/:key/operations",
    {
      onRequest: read,
      schema: {
        operationId: "listApiOperations",
        tags,
        params: ApiKeyParams,
        response: { 200: OperationsSchema, ...errors },
      },
    },
    async (request) => {
      const { key } = request.params as { key: string };
      return apis.operations(principalOf(request).environmentId, key);
    },
  );

  app.delete(
    "/v1/apis/:key",
    {
      onRequest: manage,
      schema: {
        operationId: "deleteApi",
        tags,
        params: ApiKeyParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { key } = request.params as { key: string };
      await apis.delete(principal.environmentId, principal.tokenId, key);
      return reply.code(204).send();
    },
  );
}
