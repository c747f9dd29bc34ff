/**
 * The relationship engine: OpenFGA (Zanzibar) semantics over an in-memory tuple index.
 *
 *   const { model, errors } = compileModel(json);      // 4xx with `errors` when model is null
 *   const store = new TupleStore();
 *   store.write(tuples);                               // after validateTuples(model, tuples) is empty
 *   const engine = createEngine(model, store);         // again whenever the model changes
 *   check(engine, { object: "document:1", relation: "viewer", user: "user:anne" });
 */
export { batchCheck, type CheckRequest, type CheckResult, check } from "./check";
export { type CompiledCondition, type ConditionOutcome, evaluateCondition } from "./conditions";
export { createEngine, DEFAULT_MAX_DEPTH, type EngineOptions, type RelationEngine } from "./engine";
export {
  issue,
  RELATION_ERROR_CODES,
  RelationError,
  type RelationErrorCode,
  type RelationIssue,
} from "./errors";
export { type ExpandRequest, type ExpandResult, expand, type UsersetTree } from "./expand";
export {
  DEFAULT_PAGE_SIZE,
  type ListObjectsRequest,
  type ListObjectsResult,
  listObjects,
} from "./list-objects";
export { type ListUsersRequest, type ListUsersResult, listUsers, type UserFilter } from "./list-users";
export {
  type CompiledModel,
  type CompileResult,
  compileModel,
  type DirectRef,
  type RelationDef,
  type Rewrite,
  type TypeDef,
} from "./model";
export type {
  AuthorizationModelJson,
  ConditionJson,
  ConditionParamTypeJson,
  RelationReferenceJson,
  TypeDefinitionJson,
  UsersetJson,
} from "./model-json";
export type { QueryOptions } from "./request";
export { type SeedEntityType, seedToModel } from "./seed-model";
export {
  type ParsedObject,
  type ParsedUser,
  parseObject,
  parseUser,
  type RelationTuple,
  tupleToString,
} from "./tuple";
export { type TupleMeta, TupleStore } from "./tuple-store";
export { validateTuple, validateTuples } from "./validate-tuple";
