import { Type } from "@sinclair/typebox";
import { StringEnum, Timestamp } from "./common";

/*
 * Responses of the admin routes (environments, tokens, changes). A response schema also serializes the body
 * (fast-json-stringify drops a field it does not list, and throws on a value of another type), so these list
 * the records field for field as the store returns them (storage/store.ts: Environment, TokenRecord without
 * its hash, ChangeRecord), nullability included; openapi-truth.test.ts checks the bodies come out as the
 * handlers returned them. Nullable times and the enumerations are a type with a list, not an anyOf, so that
 * fast-json-stringify writes the string as it is rather than validating it against each branch (where a
 * date-time past the year 9999, or a value the enumeration does not name, would throw: a 500).
 */
const NullableTime = (description: string) =>
  Type.Unsafe<string | null>({ type: ["string", "null"], format: "date-time", description });

export const EnvironmentSchema = Type.Object({
  id: Type.String(),
  key: Type.String(),
  name: Type.String(),
  revision: Type.Integer({ description: "The environment's revision: it grows with every write" }),
  createdAt: Timestamp,
});

export const TokenSchema = Type.Object({
  id: Type.String(),
  environmentId: Type.String(),
  name: Type.String(),
  kind: StringEnum(["management", "server"]),
  rights: Type.Array(StringEnum(["admin", "manage", "decide"])),
  display: Type.String({ description: "A non-secret hint: the prefix and the last four characters" }),
  createdAt: Timestamp,
  revokedAt: NullableTime("null: not revoked"),
  expiresAt: NullableTime("null: never expires"),
});
/** A create: the token and its secret, shown this once. */
export const TokenWithSecretSchema = Type.Object({
  ...TokenSchema.properties,
  token: Type.String({ description: "The token itself; shown in this response only" }),
});

export const ChangeSchema = Type.Object({
  environmentId: Type.String(),
  revision: Type.Integer(),
  seq: Type.Integer({ description: "Position of the change within its revision" }),
  kind: Type.String(),
  resourceId: Type.String(),
  action: StringEnum(["create", "update", "delete"]),
  actor: Type.String({ description: "Who made the change: a token id, `cli`, `system`" }),
  before: Type.Optional(Type.Unknown({ description: "The resource before the change; absent if none" })),
  after: Type.Optional(Type.Unknown({ description: "The resource after the change; absent if none" })),
  at: Timestamp,
});
export const ChangePageSchema = Type.Object({
  items: Type.Array(ChangeSchema),
  nextAfterRevision: Type.Optional(
    Type.Integer({ description: "The afterRevision of the next page; absent on the last page" }),
  ),
});
