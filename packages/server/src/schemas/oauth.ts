import { Type } from "@sinclair/typebox";
import { StringEnum } from "./common";

const Param = Type.String({ maxLength: 4096 });

/** Form fields of the OAuth endpoints; every value is a string. Unknown fields are ignored (RFC 6749 §3.2). */
export const TokenForm = Type.Object(
  {
    grant_type: Type.Optional(Param),
    scope: Type.Optional(Param),
    resource: Type.Optional(Param),
    audience: Type.Optional(Param),
    client_id: Type.Optional(Param),
    client_secret: Type.Optional(Param),
  },
  { additionalProperties: Type.String() },
);

export const TokenActionForm = Type.Object(
  {
    token: Type.Optional(Param),
    token_type_hint: Type.Optional(Param),
    client_id: Type.Optional(Param),
    client_secret: Type.Optional(Param),
  },
  { additionalProperties: Type.String() },
);

export const OAuthErrorSchema = Type.Object({ error: Type.String(), error_description: Type.String() });

/*
 * The 200s of the OAuth endpoints and the signing keys. A response schema also serializes the body
 * (fast-json-stringify drops a field it does not list, and throws on a value of another type), so these
 * list the answers field for field as services/oauth returns them; openapi-truth.test.ts checks the bodies
 * come out as the handlers returned them.
 */
const ClientAuthMethods = Type.Array(Type.String(), {
  description: "client_secret_basic, client_secret_post",
});

/** RFC 6749 §5.1. */
export const TokenResponseSchema = Type.Object(
  {
    access_token: Type.String({ description: "An RFC 9068 JWT" }),
    token_type: StringEnum(["Bearer"]),
    expires_in: Type.Integer({ description: "Seconds" }),
    scope: Type.String({ description: "The scopes granted, space-separated" }),
  },
  { description: "The access token" },
);

/**
 * RFC 7662 §2.2: the claims of a live token, or `{active: false}` alone for anything else. The claims the
 * verifier does not insist on (tenant_id, application_id, env) are in every token this server signs, yet
 * optional here: a token without one must not make the answer a 500.
 */
export const IntrospectionSchema = Type.Union(
  [
    Type.Object({
      active: Type.Literal(true),
      token_type: StringEnum(["Bearer"]),
      iss: Type.String(),
      sub: Type.String({ description: "The application's id" }),
      aud: Type.String({ description: "The API's audience, or its key" }),
      exp: Type.Integer({ description: "Seconds since the epoch" }),
      iat: Type.Integer({ description: "Seconds since the epoch" }),
      jti: Type.String(),
      client_id: Type.String(),
      scope: Type.String({ description: "Space-separated" }),
      tenant_id: Type.Optional(Type.String()),
      application_id: Type.Optional(Type.String()),
      env: Type.Optional(Type.String({ description: "The environment's key" })),
    }),
    Type.Object({ active: Type.Literal(false) }, { additionalProperties: false }),
  ],
  { description: "Whether the token is active, and its claims if it is" },
);

/** RFC 7009 §2.2: the status says it all, and the body is empty (`null` here leaves the content out). */
export const RevokedSchema = Type.Null({ description: "Revoked, or nothing to revoke: the body is empty" });

/** RFC 8414 §2, also served as OpenID discovery's document. */
export const AuthorizationServerMetadataSchema = Type.Object(
  {
    issuer: Type.String(),
    token_endpoint: Type.String(),
    jwks_uri: Type.String(),
    revocation_endpoint: Type.String(),
    introspection_endpoint: Type.String(),
    grant_types_supported: Type.Array(Type.String()),
    token_endpoint_auth_methods_supported: ClientAuthMethods,
    revocation_endpoint_auth_methods_supported: ClientAuthMethods,
    introspection_endpoint_auth_methods_supported: ClientAuthMethods,
    response_types_supported: Type.Array(Type.String(), { description: "None: no authorization endpoint" }),
  },
  { description: "The authorization server's metadata" },
);

/**
 * RFC 7517: the public keys that verify tokens. A key's members are listed; others a stored key may carry
 * are kept (additionalProperties), since the stored public JWK is free-form.
 */
export const JwksSchema = Type.Object(
  {
    keys: Type.Array(
      Type.Object(
        {
          kty: Type.String(),
          crv: Type.String(),
          x: Type.String(),
          y: Type.String(),
          kid: Type.String(),
          alg: Type.String(),
          use: Type.String(),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { description: "The keys that verify access tokens" },
);

export const SigningKeyListSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        kid: Type.String(),
        status: StringEnum(["active", "retiring", "retired"]),
        createdAt: Type.String({ format: "date-time" }),
        retiredAt: Type.Unsafe<string | null>({
          type: ["string", "null"],
          format: "date-time",
          description: "When it stopped signing; null while it is active",
        }),
      }),
    ),
  },
  { description: "The signing keys, without key material" },
);

export const RotatedSigningKeySchema = Type.Object(
  {
    kid: Type.String({ description: "The new active key" }),
    previous: Type.Optional(Type.String({ description: "The key it replaced, now retiring" })),
  },
  { description: "The new key's kid, and the previous one's" },
);
