/**
 * OpenFGA's JSON authorization model (schema 1.1), as `@openfga/syntax-transformer` emits it.
 * Kept structurally identical so the server can pass the transformer's output straight through.
 */
export interface AuthorizationModelJson {
  schema_version: string;
  type_definitions: TypeDefinitionJson[];
  conditions?: Record<string, ConditionJson>;
}

export interface TypeDefinitionJson {
  type: string;
  relations?: Record<string, UsersetJson> | null;
  metadata?: {
    relations?: Record<string, { directly_related_user_types?: RelationReferenceJson[] | null }> | null;
  } | null;
}

export interface RelationReferenceJson {
  type: string;
  relation?: string;
  wildcard?: Record<string, never> | object;
  condition?: string;
}

export interface UsersetJson {
  this?: object;
  computedUserset?: { object?: string; relation: string };
  tupleToUserset?: {
    tupleset: { object?: string; relation: string };
    computedUserset: { object?: string; relation: string };
  };
  union?: { child: UsersetJson[] };
  intersection?: { child: UsersetJson[] };
  difference?: { base: UsersetJson; subtract: UsersetJson };
}

export interface ConditionJson {
  name: string;
  expression: string;
  parameters?: Record<string, ConditionParamTypeJson>;
}

export interface ConditionParamTypeJson {
  type_name: string;
  generic_types?: ConditionParamTypeJson[];
}
