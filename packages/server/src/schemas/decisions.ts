import { type Static, Type } from "@sinclair/typebox";
import { REASON_CODES } from "@tessera/sdk/core";
import { Attributes, Id, JsonValue, Key, Timestamp } from "./common";

export const SubjectSchema = Type.Object(
  { tenantId: Id, userId: Type.Optional(Id), attributes: Type.Optional(Attributes) },
  { additionalProperties: false },
);

export const CheckBody = Type.Object(
  {
    subject: SubjectSchema,
    feature: Type.Optional(Key),
    permission: Type.Optional(Key),
    route: Type.Optional(
      Type.Object(
        {
          method: Type.String({ minLength: 1, maxLength: 10 }),
          path: Type.String({ minLength: 1, maxLength: 4000 }),
        },
        { additionalProperties: false },
      ),
    ),
    entity: Type.Optional(
      Type.Object(
        {
          type: Type.String({ minLength: 1, maxLength: 200 }),
          id: Type.String({ minLength: 1, maxLength: 400 }),
          action: Type.String({ minLength: 1, maxLength: 200 }),
        },
        { additionalProperties: false, description: "An action on an entity of the relationship model" },
      ),
    ),
    requestedUsage: Type.Optional(Type.Number({ minimum: 0 })),
    scopes: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500 })),
    at: Type.Optional(Timestamp),
  },
  {
    additionalProperties: false,
    description: "One isEntitledTo question: exactly one of feature, permission, route, entity",
  },
);
export type CheckBodyType = Static<typeof CheckBody>;

export const DecisionSchema = Type.Object(
  {
    entitled: Type.Boolean(),
    reason: Type.Union(REASON_CODES.map((c) => Type.Literal(c))),
    message: Type.String(),
    source: Type.Optional(Type.Object({ type: Type.String(), key: Type.String() })),
    value: Type.Optional(JsonValue),
    limit: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    remediation: Type.Optional(
      Type.Object({
        plans: Type.Optional(Type.Array(Type.String())),
        roles: Type.Optional(Type.Array(Type.String())),
        scopes: Type.Optional(Type.Array(Type.String())),
      }),
    ),
    decisionId: Type.String(),
    revision: Type.Integer(),
  },
  { $id: "Decision" },
);

export const BatchBody = Type.Object(
  { checks: Type.Array(CheckBody, { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false },
);

export const LookupBody = Type.Object(
  { subject: SubjectSchema, at: Type.Optional(Timestamp) },
  { additionalProperties: false },
);
