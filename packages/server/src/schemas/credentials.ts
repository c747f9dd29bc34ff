import { type Static, Type } from "@sinclair/typebox";
import { Id, Name, Timestamp } from "./common";

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const ApiRef = Type.String({ minLength: 3, maxLength: 200, description: "An API's key, name@major" });
const Scope = Type.String({ minLength: 1, maxLength: 200 });
const Metadata = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), {
  description: "Free-form metadata, returned as given",
});
const TokenTtl = Type.Integer({
  minimum: 60,
  maximum: 86_400,
  description: "Access-token lifetime, seconds",
});
const GracePeriod = Type.Integer({
  minimum: 0,
  maximum: 2_592_000,
  description: "How long the previous credential keeps working, seconds (at most 30 days)",
});

export const ApplicationCreateBody = Type.Object(
  {
    tenantId: Id,
    name: Name,
    api: Type.Optional(ApiRef),
    tokenTtlSeconds: Type.Optional(TokenTtl),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
export type ApplicationCreateBodyType = Static<typeof ApplicationCreateBody>;

export const ApplicationPatchBody = Type.Object(
  {
    name: Type.Optional(Name),
    api: Type.Optional(Nullable(ApiRef)),
    tokenTtlSeconds: Type.Optional(Nullable(TokenTtl)),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
export type ApplicationPatchBodyType = Static<typeof ApplicationPatchBody>;

export const RotateBody = Type.Object({ gracePeriodSeconds: GracePeriod }, { additionalProperties: false });

export const TimeWindowBody = Type.Object(
  {
    days: Type.Optional(
      Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), {
        minItems: 1,
        maxItems: 7,
        uniqueItems: true,
        description: "0 = Sunday … 6 = Saturday",
      }),
    ),
    start: Type.String({ pattern: "^([01]\\d|2[0-3]):[0-5]\\d$", description: "HH:MM, inclusive" }),
    end: Type.String({ pattern: "^([01]\\d|2[0-3]):[0-5]\\d$", description: "HH:MM, exclusive" }),
    timezone: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: "UTC or an IANA zone" }),
    ),
  },
  { additionalProperties: false },
);

const IpAllowList = Type.Array(
  Type.String({ minLength: 2, maxLength: 64, description: "CIDR, IPv4 or IPv6" }),
  {
    minItems: 1,
    maxItems: 100,
  },
);
const Scopes = Type.Array(Scope, { minItems: 1, maxItems: 1000, uniqueItems: true });

export const ApiKeyCreateBody = Type.Object(
  {
    name: Type.Optional(Name),
    api: Type.Optional(ApiRef),
    scopes: Type.Optional(Scopes),
    expiresAt: Type.Optional(Timestamp),
    ipAllowList: Type.Optional(IpAllowList),
    timeWindow: Type.Optional(TimeWindowBody),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
export type ApiKeyCreateBodyType = Static<typeof ApiKeyCreateBody>;

export const ApiKeyPatchBody = Type.Object(
  {
    name: Type.Optional(Nullable(Name)),
    scopes: Type.Optional(Nullable(Scopes)),
    expiresAt: Type.Optional(Nullable(Timestamp)),
    ipAllowList: Type.Optional(Nullable(IpAllowList)),
    timeWindow: Type.Optional(Nullable(TimeWindowBody)),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
export type ApiKeyPatchBodyType = Static<typeof ApiKeyPatchBody>;

export const VerifyKeyBody = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 500 }),
    ip: Type.Optional(Type.String({ maxLength: 64 })),
    route: Type.Optional(
      Type.Object(
        {
          method: Type.String({ minLength: 1, maxLength: 10 }),
          path: Type.String({ minLength: 1, maxLength: 2000 }),
        },
        { additionalProperties: false },
      ),
    ),
    scopes: Type.Optional(Type.Array(Scope, { maxItems: 100 })),
    at: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export type VerifyKeyBodyType = Static<typeof VerifyKeyBody>;

export const KeyVerificationSchema = Type.Object({
  valid: Type.Boolean(),
  code: Type.String({ description: "VALID, NOT_FOUND, REVOKED, EXPIRED, IP_NOT_ALLOWED, …" }),
  keyId: Type.Optional(Type.String()),
  tenantId: Type.Optional(Type.String()),
  applicationId: Type.Optional(Type.String()),
  environment: Type.Optional(Type.String()),
  api: Type.Optional(Type.String()),
  scopes: Type.Optional(Type.Array(Type.String())),
  expiresAt: Type.Optional(Nullable(Type.String())),
});

export const ApplicationParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
export const KeyParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100 }),
  keyId: Type.String({ minLength: 1, maxLength: 100 }),
});

/*
 * Responses. A response schema also serializes the body (fast-json-stringify drops a field it does not list,
 * and throws on a value of another type), so these list the services' views field for field
 * (ApplicationView in services/credentials/applications.ts, ApiKeyView in api-keys.ts), nullability
 * included; openapi-truth.test.ts checks the bodies come out as the handlers returned them. Nullable strings
 * are a type list, not an anyOf: fast-json-stringify then writes the string as it is instead of validating
 * it against each branch (an anyOf with a date-time format would throw on a year past 9999).
 */
const NullableString = (description?: string) =>
  Type.Unsafe<string | null>({ type: ["string", "null"], ...(description ? { description } : {}) });
const NullableTime = (description: string) =>
  Type.Unsafe<string | null>({ type: ["string", "null"], format: "date-time", description });
const MetadataOut = Type.Record(Type.String(), Type.Unknown(), { description: "As given" });

export const ApplicationSchema = Type.Object({
  id: Type.String(),
  clientId: Type.String({ description: "The OAuth2 client_id: the application's id" }),
  environmentId: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  api: NullableString("The API a token request without resource or audience is for"),
  tokenTtlSeconds: Type.Integer({ description: "Access-token lifetime, seconds" }),
  metadata: MetadataOut,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  revokedAt: NullableTime("When the application was revoked; null while it is not"),
  secrets: Type.Optional(
    Type.Array(
      Type.Object({
        id: Type.String(),
        display: Type.String({ description: "The prefix and the last four characters" }),
        createdAt: Timestamp,
        expiresAt: NullableTime("Set by a rotation to the end of its grace period; null: until rotated"),
      }),
      { description: "The client secrets, never the secrets themselves (absent on a revoke's answer)" },
    ),
  ),
});
/** A create or a secret rotation: the application and its new client secret, shown this once. */
export const ApplicationWithSecretSchema = Type.Object({
  ...ApplicationSchema.properties,
  clientSecret: Type.String({ description: "Shown in this response only" }),
});

export const ApiKeySchema = Type.Object({
  id: Type.String(),
  applicationId: Type.String(),
  tenantId: Type.String(),
  name: NullableString(),
  api: Type.String({ description: "The API (name@major) the key opens" }),
  display: Type.String({ description: "The prefix and the last four characters" }),
  scopes: Nullable(Type.Array(Type.String(), { description: "null: every entitled scope" })),
  ipAllowList: Nullable(Type.Array(Type.String(), { description: "null: any address" })),
  timeWindow: Nullable(
    Type.Object({
      days: Type.Optional(Type.Array(Type.Integer(), { description: "0 = Sunday … 6 = Saturday" })),
      start: Type.String({ description: "HH:MM, inclusive" }),
      end: Type.String({ description: "HH:MM, exclusive" }),
      timezone: Type.Optional(Type.String()),
    }),
  ),
  metadata: MetadataOut,
  expiresAt: NullableTime("null: never"),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  revokedAt: NullableTime("null: not revoked"),
  lastUsedAt: NullableTime("null: never used"),
  replacedBy: NullableString("The key a rotation replaced this one with"),
});
/** A create: the key and its secret, shown this once. */
export const ApiKeyWithSecretSchema = Type.Object({
  ...ApiKeySchema.properties,
  key: Type.String({ description: "The API key itself; shown in this response only" }),
});
/** A rotation: the new key with its secret, and the key it replaced, which works until its grace ends. */
export const RotatedApiKeySchema = Type.Object({
  ...ApiKeyWithSecretSchema.properties,
  previous: ApiKeySchema,
});
