import { type TSchema, Type } from "@sinclair/typebox";
import type { JsonValue as JsonValueType } from "@tessera/sdk/core";

/** Catalog keys: stable identifiers that code refers to (`invoices.read`, `api-calls`, `read:pets`). */
export const Key = Type.String({
  pattern: "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$",
  description: "A stable key",
});

/** Ids the vendor chooses for tenants and users (their own ids), and ids we assign. No `/`, no spaces. */
export const Id = Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.:@|+=-]{0,199}$", description: "An id" });

export const Name = Type.String({ minLength: 1, maxLength: 200 });
export const Description = Type.String({ maxLength: 2000 });
export const Timestamp = Type.String({ format: "date-time", description: "ISO-8601 date-time" });
export const JsonValue = Type.Unsafe<JsonValueType>({ description: "Any JSON value" });
export const Attributes = Type.Record(Type.String({ maxLength: 100 }), Type.Unsafe<JsonValueType>({}), {
  description: "Free-form attributes, read by flag targeting",
});

export const Metadata = {
  createdAt: Timestamp,
  updatedAt: Timestamp,
};

/** Lists are pages: `nextCursor` is absent on the last one. */
export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Optional(Type.String()) });
}

/**
 * A list's page parameters. Closed: an unknown parameter is a 400, as an unknown body field is, on the lists
 * that take these alone (tokens, APIs, members, keys) as on those that add filters to them.
 */
export const PageQuery = Type.Object(
  {
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Array(
      Type.Object({ pointer: Type.String(), message: Type.String(), code: Type.Optional(Type.String()) }),
    ),
  },
  { $id: "Problem", description: "RFC 9457 problem details with a stable code" },
);

/** The problems a management operation may answer with, for a route's `response`. */
export const ProblemResponses = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  422: ProblemSchema,
};

/**
 * What an operation answers, for the OpenAPI document and the serializer: a create's 201 or another
 * operation's 200 with the body's schema (which also serializes it: list every field), and the problems.
 * x-response-description is the response's description in the document (@fastify/swagger takes it off).
 */
/**
 * A string from a list, written as `{type: "string", enum}` rather than TypeBox's anyOf of literals: a
 * response schema also serializes, and fast-json-stringify then writes the string as it is instead of
 * validating it against each branch.
 */
export const StringEnum = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: "string", enum: values });

/** A 200's body: its schema both documents and serializes it, so it must list every field sent. */
export const ok = (body: TSchema) => ({ ...body, "x-response-description": "OK" });
export const createdWith = (body: TSchema) => ({
  201: { ...body, "x-response-description": "Created" },
  ...ProblemResponses,
});
export const answeredWith = (body: TSchema) => ({ 200: ok(body), ...ProblemResponses });
