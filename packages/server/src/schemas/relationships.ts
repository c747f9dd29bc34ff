import { Type } from "@sinclair/typebox";
import { Timestamp } from "./common";

/** Tuple fields are checked for shape by the engine (it names the offending tuple); here only their types. */
const Ref = Type.String({ minLength: 1, maxLength: 512 });
const Name = Type.String({ pattern: "^[^\\s:#@*]{1,100}$" });
const Context = Type.Record(Type.String(), Type.Unknown(), { description: "Values for conditions" });

export const TupleKey = Type.Object(
  { object: Ref, relation: Type.String({ minLength: 1, maxLength: 100 }), user: Ref },
  { additionalProperties: false },
);

export const Tuple = Type.Object(
  {
    object: Ref,
    relation: Type.String({ minLength: 1, maxLength: 100 }),
    user: Ref,
    condition: Type.Optional(
      Type.Object({ name: Name, context: Type.Optional(Context) }, { additionalProperties: false }),
    ),
    expiresAt: Type.Optional(Timestamp),
  },
  {
    additionalProperties: false,
    description: "document:1#reader@user:anne, with an optional condition and expiry",
  },
);

export const TupleWriteBody = Type.Object(
  {
    writes: Type.Optional(Type.Array(Tuple, { maxItems: 1000 })),
    deletes: Type.Optional(Type.Array(TupleKey, { maxItems: 1000 })),
  },
  { additionalProperties: false },
);

export const TupleListQuery = Type.Object({
  object: Type.Optional(Ref),
  relation: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  user: Type.Optional(Ref),
  cursor: Type.Optional(Type.String({ maxLength: 2000 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

const QueryOptions = {
  context: Type.Optional(Context),
  contextualTuples: Type.Optional(Type.Array(Tuple, { maxItems: 100 })),
  atLeastRevision: Type.Optional(
    Type.Integer({ minimum: 0, description: "Answer from a state at least as fresh as this revision" }),
  ),
};

const CheckFields = {
  object: Ref,
  relation: Type.String({ minLength: 1, maxLength: 100 }),
  user: Ref,
  explain: Type.Optional(Type.Boolean({ description: "Return the path that granted, or why nothing did" })),
};

export const CheckBody = Type.Object({ ...CheckFields, ...QueryOptions }, { additionalProperties: false });

export const BatchCheckBody = Type.Object(
  {
    checks: Type.Array(
      Type.Object(
        {
          ...CheckFields,
          context: QueryOptions.context,
          contextualTuples: QueryOptions.contextualTuples,
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
    atLeastRevision: QueryOptions.atLeastRevision,
  },
  { additionalProperties: false },
);

export const ListObjectsBody = Type.Object(
  {
    type: Name,
    relation: Type.String({ minLength: 1, maxLength: 100 }),
    user: Ref,
    cursor: Type.Optional(Type.String({ maxLength: 2000 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    ...QueryOptions,
  },
  { additionalProperties: false },
);

export const ListUsersBody = Type.Object(
  {
    object: Ref,
    relation: Type.String({ minLength: 1, maxLength: 100 }),
    userFilters: Type.Array(
      Type.Object({ type: Name, relation: Type.Optional(Name) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 20 },
    ),
    ...QueryOptions,
  },
  { additionalProperties: false },
);

export const ExpandBody = Type.Object(
  {
    object: Ref,
    relation: Type.String({ minLength: 1, maxLength: 100 }),
    contextualTuples: QueryOptions.contextualTuples,
    atLeastRevision: QueryOptions.atLeastRevision,
  },
  { additionalProperties: false },
);

export const ModelBody = Type.Object(
  {
    dsl: Type.Optional(
      Type.String({ minLength: 1, maxLength: 262_144, description: "OpenFGA DSL, schema 1.1" }),
    ),
    model: Type.Optional(
      Type.Object(
        { schema_version: Type.String(), type_definitions: Type.Array(Type.Unknown()) },
        { additionalProperties: true, description: "OpenFGA's JSON authorization model" },
      ),
    ),
  },
  { additionalProperties: false, description: "Exactly one of dsl, model" },
);

const ArrowKey = Type.Object(
  { fromRelation: Name, toAction: Name },
  { additionalProperties: false, description: "`toAction` of the object in `fromRelation`" },
);
export const RelationKeys = Type.Array(Type.Union([Name, ArrowKey]), { minItems: 1, maxItems: 100 });

export const SubjectKey = Type.String({
  pattern: "^[^\\s:#@*]{1,100}(#[^\\s:#@*]{1,100}|:\\*)?$",
  description: "`user`, `group#member` or `user:*`",
});

export const RelationDef = Type.Object(
  { key: Name, subjectEntityTypeKeys: Type.Array(SubjectKey, { maxItems: 50 }) },
  { additionalProperties: false },
);

export const ActionDef = Type.Object(
  { key: Name, relationKeys: RelationKeys },
  { additionalProperties: false },
);

export const EntityTypeBody = Type.Object(
  {
    key: Name,
    relations: Type.Optional(Type.Array(RelationDef, { maxItems: 200 })),
    actions: Type.Optional(Type.Array(ActionDef, { maxItems: 200 })),
  },
  { additionalProperties: false },
);

export const ActionPutBody = Type.Object({ relationKeys: RelationKeys }, { additionalProperties: false });

/** The seed's (Frontegg's) bodies. */
export const SeedRelationsBody = Type.Object(
  {
    relations: Type.Array(
      Type.Object(
        { key: Name, subjectEntityKeys: Type.Array(SubjectKey, { maxItems: 50 }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 200 },
    ),
  },
  { additionalProperties: false },
);

export const SeedActionBody = Type.Object(
  { key: Name, relationKeys: RelationKeys },
  { additionalProperties: false },
);

export const KeyParams = Type.Object({ key: Name });
export const KeyRelationParams = Type.Object({ key: Name, relationKey: Name });
export const KeyActionParams = Type.Object({ key: Name, actionKey: Name });
