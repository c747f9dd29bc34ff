import { Type } from "@sinclair/typebox";

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
