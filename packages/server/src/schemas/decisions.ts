import { type Static, Type } from "@sinclair/typebox";
import { type FeatureType, REASON_CODES, type SubscriptionStatus } from "@tessera/sdk/core";
import { Attributes, Id, JsonValue, Key, StringEnum, Timestamp } from "./common";

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

/*
 * Responses of /v1/lookup and /v1/entitlements. A response schema also serializes the body
 * (fast-json-stringify drops a field it does not list, and throws on a value of another type), so these
 * list the answers field for field: SubjectEntitlements (core lookup.ts, with validUntil as the route writes
 * it) and DecisionService.subscriptionEntitlements; openapi-truth.test.ts checks the bodies come out as the
 * handlers returned them. Reasons and the subject's decision are the Decision schema's own, as /v1/check
 * sends them.
 */
const Reason = DecisionSchema.properties.reason;
const Source = Type.Object({ type: Type.String(), key: Type.String() });
const FeatureTypeSchema = StringEnum<FeatureType>(["boolean", "limit", "config"]);

export const LookupSchema = Type.Object(
  {
    subject: Type.Optional(
      Type.Object(DecisionSchema.properties, {
        description: "Sent only when the subject is unknown: its denial; the lists are then empty",
      }),
    ),
    plans: Type.Array(Type.String(), { description: "The plans in effect: the base plan, then add-ons" }),
    features: Type.Array(
      Type.Object({
        key: Type.String(),
        type: FeatureTypeSchema,
        entitled: Type.Boolean(),
        reason: Reason,
        source: Type.Optional(Source),
        value: Type.Optional(Type.Unknown({ description: "The limit (null: unlimited), the config value" })),
      }),
      { description: "Every feature not archived, with the decision a check would give" },
    ),
    permissions: Type.Array(
      Type.Object({
        key: Type.String(),
        entitled: Type.Boolean(),
        reason: Reason,
        source: Type.Optional(Source),
      }),
      {
        description:
          "With a userId: the permissions the user's roles carry, each with its decision (a feature may deny it)",
      },
    ),
    validUntil: Type.Optional(
      Type.String({
        format: "date-time",
        description: "When the answer may change by itself; absent: never",
      }),
    ),
    revision: Type.Integer(),
  },
  { description: "The subject's entitlements" },
);

export const SubscriptionEntitlementsSchema = Type.Object(
  {
    subscription: Type.Object({
      id: Type.String(),
      externalKey: Type.Unsafe<string | null>({ type: ["string", "null"] }),
      tenantId: Type.String(),
      planKey: Type.String(),
      addOns: Type.Array(Type.String()),
      status: StringEnum<SubscriptionStatus>(["trialing", "active", "past_due", "canceled", "expired"]),
      active: Type.Boolean({ description: "Whether it is active now" }),
    }),
    plans: Type.Array(Type.String(), { description: "The base plan, then its add-ons" }),
    entitlements: Type.Array(
      Type.Object({
        featureKey: Type.String(),
        type: FeatureTypeSchema,
        value: Type.Unknown({ description: "true, the limit (null: unlimited), or the config value" }),
        source: Source,
      }),
      { description: "The features the plans grant, archived ones left out" },
    ),
    apis: Type.Array(Type.Object({ api: Type.String(), scopes: Type.Array(Type.String()) }), {
      description: "The API scopes the plans confer",
    }),
    revision: Type.Integer(),
  },
  { description: "The plans and entitlements the subscription confers" },
);
