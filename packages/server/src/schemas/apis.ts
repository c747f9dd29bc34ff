import { type Static, Type } from "@sinclair/typebox";
import { Metadata } from "./common";

/** The largest description accepted, as text or JSON: Box's is 1.7 MB, Twilio's 1.9 MB. */
export const API_DOCUMENT_LIMIT = 10 * 1_048_576;

/** An API's name: with the major version it makes the key `name@major`, used in URLs and grants. */
export const ApiName = Type.String({
  pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$",
  description: "The API's name; the key is name@majorVersion",
});

export const ApiKeyParams = Type.Object({
  key: Type.String({ minLength: 3, maxLength: 200, description: "name@majorVersion" }),
});

export const ImportApiBody = Type.Object(
  {
    name: ApiName,
    document: Type.Union(
      [
        Type.Object({}, { additionalProperties: true }),
        Type.String({ minLength: 1, maxLength: API_DOCUMENT_LIMIT }),
      ],
      { description: "OpenAPI 3.0 / 3.1 or Swagger 2.0: a JSON object, or JSON or YAML text" },
    ),
    majorVersion: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1_000_000,
        description: "Overrides the major version read from info.version, the base path or the paths",
      }),
    ),
    audience: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Type.Null()], {
        description:
          "The `aud` of tokens for this API. A re-import that gives none keeps the API's; null removes it",
      }),
    ),
    apply: Type.Optional(
      Type.Boolean({ default: false, description: "false: preview the diff; true: write the API" }),
    ),
  },
  { additionalProperties: false },
);
export type ImportApiInput = Static<typeof ImportApiBody>;

const Strings = Type.Array(Type.String());

const OperationSchema = Type.Object(
  {
    name: Type.String(),
    operationId: Type.Optional(Type.String()),
    method: Type.String(),
    path: Type.String({ description: "Route template, without the API's base path" }),
    variant: Type.Optional(Type.String()),
    summary: Type.Optional(Type.String()),
    tags: Type.Optional(Strings),
    deprecated: Type.Optional(Type.Boolean()),
    security: Type.Optional(Type.String({ description: "scopes | operationId | public" })),
    scopes: Type.Optional(Strings),
    alternatives: Type.Array(Strings, { description: "OR of ANDs of scopes; empty: public" }),
    documentPath: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

const ScopeSchema = Type.Object({ name: Type.String(), description: Type.Optional(Type.String()) });

/** What an API is, in its summary and in full. */
const ApiFields = {
  key: Type.String(),
  name: Type.String(),
  majorVersion: Type.Integer(),
  title: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
  specVersion: Type.Optional(Type.String()),
  basePath: Type.Optional(Type.String()),
  audience: Type.Optional(Type.String()),
};

export const ApiSummarySchema = Type.Object(
  {
    ...ApiFields,
    operationCount: Type.Integer(),
    publicOperationCount: Type.Integer(),
    scopeCount: Type.Integer(),
    createdAt: Type.Optional(Metadata.createdAt),
    updatedAt: Type.Optional(Metadata.updatedAt),
  },
  { additionalProperties: true },
);

export const ApiSchema = Type.Object(
  {
    ...ApiFields,
    environment: Type.Optional(
      Type.String({ description: "The environment's key: the `env` claim of its access tokens" }),
    ),
    scopes: Type.Array(ScopeSchema),
    operations: Type.Array(OperationSchema),
    ...Metadata,
  },
  { additionalProperties: true },
);

export const OperationsSchema = Type.Object({ items: Type.Array(OperationSchema) });

const Affected = Type.Object({
  plans: Type.Array(Type.Object({ key: Type.String(), scopes: Strings })),
  roles: Type.Array(Type.Object({ key: Type.String(), scopes: Strings })),
  grants: Type.Array(
    Type.Object({
      id: Type.String(),
      tenantId: Type.String(),
      userId: Type.Optional(Type.String()),
      scopes: Strings,
    }),
  ),
});

const DiffSchema = Type.Object({
  added: Type.Array(OperationSchema),
  removed: Type.Array(OperationSchema),
  changed: Type.Array(
    Type.Object({
      name: Type.String(),
      previousName: Type.Optional(Type.String()),
      fields: Strings,
      scopesAdded: Strings,
      scopesRemoved: Strings,
      before: OperationSchema,
      after: OperationSchema,
    }),
  ),
  scopesAdded: Strings,
  scopesRemoved: Strings,
});

export const ImportOutcomeSchema = Type.Object({
  applied: Type.Boolean(),
  revision: Type.Optional(Type.Integer()),
  replaced: Type.Boolean({ description: "An API with this key existed: the diff is against it" }),
  api: ApiSummarySchema,
  diff: DiffSchema,
  affected: Affected,
  conflicts: Type.Array(
    Type.Object({
      operation: Type.String(),
      method: Type.String(),
      path: Type.String(),
      shadowedBy: Type.String(),
    }),
  ),
  warnings: Type.Array(Type.Object({ pointer: Type.String(), message: Type.String() })),
});
