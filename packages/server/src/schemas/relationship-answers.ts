import { Type } from "@sinclair/typebox";
import { relations } from "@tessera/sdk/core";
import { StringEnum, Timestamp } from "./common";

/*
 * Responses of the relationship routes. A response schema also serializes the body (fast-json-stringify
 * drops a field it does not list, and throws on a value of another type), so these list the answers field
 * for field as the services return them: ModelView (services/relationships/model-service.ts), the seed's
 * SeedEntityType, StoredTuple, and RelationshipService's query answers over the core's CheckResult and
 * UsersetTree; openapi-truth.test.ts checks the bodies come out as the handlers returned them. What is free
 * JSON stays free: a model's JSON form (a client's JSON model may carry fields of its own, which are stored
 * as sent), a condition's context, and below the first level the expand tree, which is recursive.
 */
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const Revision = Type.Integer({ description: "The environment's revision the answer is from" });

export const RelationSchema = Type.Object({
  key: Type.String(),
  subjectEntityTypeKeys: Type.Array(Type.String(), { description: "`user`, `group#member` or `user:*`" }),
});
const RelationKey = Type.Union([
  Type.String({ description: "A relation of the type" }),
  Type.Object(
    { fromRelation: Type.String(), toAction: Type.String() },
    { description: "`toAction` of the object in `fromRelation`" },
  ),
]);
export const ActionSchema = Type.Object({ key: Type.String(), relationKeys: Type.Array(RelationKey) });
export const EntityTypeSchema = Type.Object({
  key: Type.String(),
  relations: Type.Optional(Type.Array(RelationSchema)),
  actions: Type.Optional(Type.Array(ActionSchema)),
});
export const EntityTypeListSchema = Type.Object({ items: Type.Array(EntityTypeSchema) });
export const RelationListSchema = Type.Object({ items: Type.Array(RelationSchema) });
export const ActionListSchema = Type.Object({ items: Type.Array(ActionSchema) });

export const ModelSchema = Type.Object(
  {
    id: Type.String({ description: "Changes on every write of the model" }),
    version: Type.Integer({ description: "1 for the environment's first model, then +1 per change" }),
    model: Type.Object(
      {
        schema_version: Type.String(),
        type_definitions: Type.Array(
          Type.Object(
            {
              type: Type.String(),
              relations: Type.Optional(Type.Unknown({ description: "Rewrites by relation" })),
              metadata: Type.Optional(Type.Unknown({ description: "Type restrictions by relation" })),
            },
            { additionalProperties: true },
          ),
        ),
        conditions: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      },
      { additionalProperties: true, description: "OpenFGA's JSON authorization model, as stored" },
    ),
    dsl: Type.Unsafe<string | null>({
      type: ["string", "null"],
      description: "The model in OpenFGA's DSL; null when the DSL cannot say it",
    }),
    entityTypes: Nullable(
      Type.Array(EntityTypeSchema, {
        description: "The entity types the model is edited through; null when written as DSL or JSON",
      }),
    ),
    revision: Revision,
  },
  { description: "The model, as DSL, JSON and entity types" },
);

/** The seed's (Frontegg's) answers: the entity type's key and the environment's id beside each relation. */
export const SeedRelationsSchema = Type.Array(
  Type.Object({
    vendorId: Type.String({ description: "The environment's id" }),
    targetEntityTypeKey: Type.String(),
    key: Type.String(),
    subjectEntityTypeKeys: Type.Array(Type.String()),
  }),
  { description: "The relations, created or replaced" },
);
export const SeedActionSchema = Type.Object({
  vendorId: Type.String({ description: "The environment's id" }),
  entityTypeKey: Type.String(),
  key: Type.String(),
  relationKeys: Type.Array(RelationKey),
});

export const TupleWriteSchema = Type.Object({
  revision: Type.Integer({ description: "The revision after the write; unchanged if it changed nothing" }),
  written: Type.Integer({ description: "Tuples written that were not there" }),
  deleted: Type.Integer({ description: "Tuples deleted that were there" }),
});
export const TuplePageSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      object: Type.String(),
      relation: Type.String(),
      user: Type.String(),
      condition: Type.Optional(
        Type.Object({
          name: Type.String(),
          context: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "As written" })),
        }),
      ),
      expiresAt: Type.Optional(Timestamp),
    }),
  ),
  nextCursor: Type.Optional(Type.String({ description: "Absent on the last page" })),
});

const Issue = Type.Object(
  {
    code: StringEnum(relations.RELATION_ERROR_CODES),
    message: Type.String(),
    path: Type.String({ description: "The offending field, as `checks[i].user`" }),
  },
  { description: "Why the check has no answer" },
);
const Answer = {
  allowed: Type.Boolean(),
  reason: Type.Optional(StringEnum(["ENTITLED", "RELATION_MISSING"] as const)),
  path: Type.Optional(
    Type.Array(Type.String(), {
      description: "With explain and access: from the relation checked down to the tuple that granted it",
    }),
  ),
  notes: Type.Optional(
    Type.Array(Type.String(), {
      description: "With explain and no access: expired tuples, unmet conditions… met on the way",
    }),
  ),
};
/** A check that cannot be answered is a problem (4xx), so its answer never carries an `error`. */
export const CheckAnswerSchema = Type.Object(
  { ...Answer, revision: Revision },
  { description: "Whether the user has the relation" },
);
export const BatchCheckAnswerSchema = Type.Object(
  {
    results: Type.Array(
      Type.Object({
        ...Answer,
        error: Type.Optional(Issue),
      }),
      { description: "One answer per check, in order; one that fails does not fail the others" },
    ),
    revision: Revision,
  },
  { description: "One answer per check, in order" },
);
export const ListObjectsAnswerSchema = Type.Object(
  {
    objects: Type.Array(Type.String(), { description: "Sorted by name" }),
    cursor: Type.Unsafe<string | null>({
      type: ["string", "null"],
      description: "For the next page; null on the last one",
    }),
    revision: Revision,
  },
  { description: "A page of the objects" },
);
export const ListUsersAnswerSchema = Type.Object(
  {
    users: Type.Array(Type.String(), { description: "Sorted; `type:*` when a wildcard grants every user" }),
    revision: Revision,
  },
  { description: "The users" },
);

/** Levels below the first have this same shape; they are described as free JSON, as the tree is recursive. */
const Subtree = Type.Unknown({ description: "A tree of the same shape" });
export const ExpandAnswerSchema = Type.Object(
  {
    tree: Type.Object(
      {
        name: Type.String({ description: "object#relation" }),
        leaf: Type.Optional(
          Type.Union([
            Type.Object({ users: Type.Array(Type.String()) }),
            Type.Object({ computed: Type.String() }),
            Type.Object({
              tupleToUserset: Type.Object({ tupleset: Type.String(), computed: Type.Array(Type.String()) }),
            }),
          ]),
        ),
        union: Type.Optional(Type.Array(Subtree)),
        intersection: Type.Optional(Type.Array(Subtree)),
        difference: Type.Optional(Type.Object({ base: Subtree, subtract: Subtree })),
      },
      { description: "One level of the userset tree, shaped like OpenFGA's Expand answer" },
    ),
    revision: Revision,
  },
  { description: "One level of the userset tree" },
);
