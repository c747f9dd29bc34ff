import { type Static, type TObject, Type } from "@sinclair/typebox";
import { Attributes, Description, Id, JsonValue, Key, Name, Timestamp } from "./common";

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

/**
 * A body whose fields with a default may be left out, as the API description says: the validator fills
 * each one in (AJV's useDefaults), so a plan sent without `kind` is a base plan, answered 201. TypeBox would
 * otherwise list them as required. Only `required` changes, not the properties: a response schema built
 * from them (a stored plan always has its `kind`) still requires them, and the static type stays the
 * validated body's, defaults filled in.
 */
function defaultsOptional<T extends TObject>(schema: T): T {
  const required = (schema.required ?? []).filter((name) => schema.properties[name]?.default === undefined);
  const { required: _, ...rest } = schema;
  return (required.length > 0 ? { ...rest, required } : rest) as T;
}

export const FeatureType = Type.Union([
  Type.Literal("boolean"),
  Type.Literal("limit"),
  Type.Literal("config"),
]);
export const ResetPeriod = Type.Union([
  Type.Literal("hour"),
  Type.Literal("day"),
  Type.Literal("week"),
  Type.Literal("month"),
  Type.Literal("year"),
]);

export const FeatureBody = Type.Object(
  {
    key: Key,
    name: Name,
    description: Type.Optional(Description),
    type: FeatureType,
    resetPeriod: Type.Optional(Nullable(ResetPeriod)),
    flagKey: Type.Optional(Nullable(Key)),
    archived: Type.Optional(
      Type.Boolean({ description: "Stops the feature granting: decisions answer FEATURE_ARCHIVED." }),
    ),
  },
  { additionalProperties: false },
);

export const PermissionBody = Type.Object(
  {
    key: Key,
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    featureKey: Type.Optional(Nullable(Key)),
  },
  { additionalProperties: false },
);

export const RoleBody = defaultsOptional(
  Type.Object(
    {
      key: Key,
      name: Type.Optional(Name),
      description: Type.Optional(Description),
      permissions: Type.Array(Key, { maxItems: 1000, default: [] }),
      includes: Type.Optional(Type.Array(Key, { maxItems: 100 })),
      scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 })),
    },
    { additionalProperties: false },
  ),
);

export const ApiAccessBody = Type.Object(
  {
    api: Type.String({ minLength: 3, maxLength: 200, description: "name@major" }),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 })),
    roles: Type.Optional(Type.Array(Key, { maxItems: 100 })),
    all: Type.Optional(Type.Boolean({ description: "Every scope the API declares" })),
  },
  { additionalProperties: false },
);

export const PlanBody = defaultsOptional(
  Type.Object(
    {
      key: Key,
      name: Name,
      description: Type.Optional(Description),
      kind: Type.Union([Type.Literal("base"), Type.Literal("addon")], { default: "base" }),
      trialDays: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 3650 }))),
      features: Type.Record(Key, JsonValue, {
        default: {},
        description:
          "Feature key → value: true/false for boolean, a number or null (unlimited) for limit, JSON for config",
      }),
      apiAccess: Type.Optional(Type.Array(ApiAccessBody, { maxItems: 100 })),
      archived: Type.Optional(
        Type.Boolean({
          description:
            "Closed to new subscriptions (as a base plan or an add-on); subscriptions already on it keep what it gives.",
        }),
      ),
    },
    { additionalProperties: false },
  ),
);

const FLAG_OPERATORS = [
  "eq",
  "neq",
  "in",
  "not_in",
  "contains",
  "starts_with",
  "ends_with",
  "gt",
  "gte",
  "lt",
  "lte",
  "exists",
  "not_exists",
] as const;
const FlagOperator = Type.Union(FLAG_OPERATORS.map((o) => Type.Literal(o)));
const Percentage = Type.Number({ minimum: 0, maximum: 100 });

export const FlagBody = defaultsOptional(
  Type.Object(
    {
      key: Key,
      name: Type.Optional(Name),
      description: Type.Optional(Description),
      enabled: Type.Boolean({ default: true }),
      rules: Type.Optional(
        Type.Array(
          Type.Object(
            {
              conditions: Type.Array(
                Type.Object(
                  {
                    attribute: Type.String({
                      minLength: 1,
                      maxLength: 200,
                      description:
                        "tenant.id, tenant.plan, user.id, tenant.<name> or user.<name> (the record's attributes); " +
                        "any other name is read from the check's subject.attributes.",
                    }),
                    operator: FlagOperator,
                    values: Type.Optional(Type.Array(JsonValue, { maxItems: 1000 })),
                  },
                  { additionalProperties: false },
                ),
                { maxItems: 50 },
              ),
              rollout: Type.Optional(Percentage),
              serve: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          { maxItems: 100 },
        ),
      ),
      rollout: Type.Optional(Nullable(Percentage)),
      default: Type.Boolean({ default: false }),
      // null as well as absent: a PATCH can then go back to the default, the tenant.
      bucketBy: Type.Optional(Nullable(Type.Union([Type.Literal("tenant"), Type.Literal("user")]))),
    },
    { additionalProperties: false },
  ),
);

export const RouteBody = Type.Object(
  {
    id: Type.Optional(Id),
    method: Type.String({
      pattern:
        "^([Gg][Ee][Tt]|[Hh][Ee][Aa][Dd]|[Pp][Oo][Ss][Tt]|[Pp][Uu][Tt]|[Pp][Aa][Tt][Cc][Hh]|[Dd][Ee][Ll][Ee][Tt][Ee]|[Oo][Pp][Tt][Ii][Oo][Nn][Ss]|ANY|any|\\*)$",
      description: "An HTTP method, or * / ANY for every method",
    }),
    path: Type.String({ minLength: 1, maxLength: 1000, pattern: "^/" }),
    featureKey: Type.Optional(Nullable(Key)),
    permissionKey: Type.Optional(Nullable(Key)),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 })),
    public: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const TenantBody = Type.Object(
  { id: Id, name: Type.Optional(Name), attributes: Type.Optional(Attributes) },
  { additionalProperties: false },
);

export const UserBody = Type.Object(
  {
    id: Id,
    email: Type.Optional(Type.String({ maxLength: 320 })),
    name: Type.Optional(Name),
    attributes: Type.Optional(Attributes),
  },
  { additionalProperties: false },
);

export const MembershipBody = defaultsOptional(
  Type.Object({ roles: Type.Array(Key, { maxItems: 100, default: [] }) }, { additionalProperties: false }),
);

export const SubscriptionStatus = Type.Union([
  Type.Literal("trialing"),
  Type.Literal("active"),
  Type.Literal("past_due"),
  Type.Literal("canceled"),
  Type.Literal("expired"),
]);

export const SubscriptionBody = Type.Object(
  {
    id: Type.Optional(Id),
    tenantId: Id,
    planKey: Key,
    addOns: Type.Optional(Type.Array(Key, { maxItems: 100 })),
    status: Type.Optional(SubscriptionStatus),
    startAt: Type.Optional(Timestamp),
    endAt: Type.Optional(Nullable(Timestamp)),
    trialEndAt: Type.Optional(Nullable(Timestamp)),
    externalKey: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
  },
  { additionalProperties: false },
);

export const GrantBody = Type.Object(
  {
    id: Type.Optional(Id),
    tenantId: Id,
    userId: Type.Optional(Nullable(Id)),
    featureKey: Type.Optional(Nullable(Key)),
    value: Type.Optional(JsonValue),
    permissionKey: Type.Optional(Nullable(Key)),
    apiAccess: Type.Optional(Nullable(ApiAccessBody)),
    startAt: Type.Optional(Nullable(Timestamp)),
    expiresAt: Type.Optional(Nullable(Timestamp)),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

/**
 * A PATCH body: every field optional, and the identifying ones may not change. The create schema's defaults
 * go: the validator fills defaults in, and in a PATCH that would reset every field the body does not name
 * (a plan's features to {}, a flag's enabled to true). A field the body names is still validated in full,
 * defaults inside it included.
 */
export function patchOf<T extends TObject>(schema: T, immutable: readonly string[]) {
  const props = Object.fromEntries(
    Object.entries(schema.properties)
      .filter(([name]) => !immutable.includes(name))
      .map(([name, property]) => {
        const { default: _, ...withoutDefault } = property;
        return [name, withoutDefault];
      }),
  ) as T["properties"];
  return Type.Partial(Type.Object(props, { additionalProperties: false }));
}

export type FeatureInput = Static<typeof FeatureBody>;
export type PermissionInput = Static<typeof PermissionBody>;
export type RoleInput = Static<typeof RoleBody>;
export type PlanInput = Static<typeof PlanBody>;
export type FlagInput = Static<typeof FlagBody>;
export type RouteInput = Static<typeof RouteBody>;
export type TenantInput = Static<typeof TenantBody>;
export type UserInput = Static<typeof UserBody>;
export type SubscriptionInput = Static<typeof SubscriptionBody>;
export type GrantInput = Static<typeof GrantBody>;
