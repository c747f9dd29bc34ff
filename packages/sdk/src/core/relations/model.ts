import { type CompiledCondition, compileCondition } from "./conditions";
import { issue, type RelationIssue } from "./errors";
import type { AuthorizationModelJson, RelationReferenceJson, UsersetJson } from "./model-json";
import { findModelProblems } from "./model-validation";

/** A relation's rewrite: how membership is derived. */
export type Rewrite =
  | { kind: "this" }
  | { kind: "computed"; relation: string }
  | { kind: "ttu"; tupleset: string; relation: string }
  | { kind: "union" | "intersection"; children: Rewrite[] }
  | { kind: "exclusion"; base: Rewrite; subtract: Rewrite };

/** One entry of a relation's type restrictions: `user`, `user:*`, `group#member`, each optionally `with cond`. */
export interface DirectRef {
  type: string;
  relation?: string;
  wildcard: boolean;
  condition?: string;
}

export interface RelationDef {
  name: string;
  rewrite: Rewrite;
  directTypes: DirectRef[];
}

export interface TypeDef {
  name: string;
  relations: Map<string, RelationDef>;
}

/** A validated model, immutable once compiled. */
export interface CompiledModel {
  readonly json: AuthorizationModelJson;
  readonly types: ReadonlyMap<string, TypeDef>;
  readonly conditions: ReadonlyMap<string, CompiledCondition>;
}

export interface CompileResult {
  model: CompiledModel | null;
  errors: RelationIssue[];
}

/** Compiles and validates OpenFGA's JSON model; `model` is null whenever `errors` is not empty. */
export function compileModel(json: AuthorizationModelJson): CompileResult {
  const errors: RelationIssue[] = [];
  if (json === null || typeof json !== "object" || !Array.isArray(json.type_definitions)) {
    return {
      model: null,
      errors: [issue("INVALID_MODEL", "a model needs type_definitions", "type_definitions")],
    };
  }
  if (json.schema_version !== "1.1") {
    errors.push(
      issue(
        "INVALID_MODEL",
        `unsupported schema_version '${json.schema_version}' (expected '1.1')`,
        "schema_version",
      ),
    );
  }
  const types = new Map<string, TypeDef>();
  json.type_definitions.forEach((td, i) => {
    const path = `type_definitions[${i}]`;
    if (!td || typeof td.type !== "string" || !/^[^\s:#@*]+$/.test(td.type)) {
      errors.push(issue("INVALID_MODEL", `invalid type name '${td?.type}'`, `${path}.type`));
      return;
    }
    if (types.has(td.type)) {
      errors.push(issue("INVALID_MODEL", `type '${td.type}' is defined twice`, `${path}.type`));
      return;
    }
    const relations = new Map<string, RelationDef>();
    for (const [name, rewriteJson] of Object.entries(td.relations ?? {})) {
      const relPath = `${path}.relations.${name}`;
      if (!/^[^\s:#@*]+$/.test(name)) {
        errors.push(issue("INVALID_MODEL", `invalid relation name '${name}'`, relPath));
        continue;
      }
      const rewrite = parseRewrite(rewriteJson, relPath, errors);
      const refs = td.metadata?.relations?.[name]?.directly_related_user_types ?? [];
      const directTypes = refs.map(toDirectRef);
      if (rewrite) relations.set(name, { name, rewrite, directTypes });
    }
    types.set(td.type, { name: td.type, relations });
  });
  const conditions = new Map<string, CompiledCondition>();
  for (const [key, c] of Object.entries(json.conditions ?? {})) {
    const compiled = compileCondition(key, c, `conditions.${key}`);
    if (Array.isArray(compiled)) errors.push(...compiled);
    else conditions.set(key, compiled);
  }
  const model: CompiledModel = { json, types, conditions };
  if (errors.length === 0) errors.push(...findModelProblems(model));
  return errors.length > 0 ? { model: null, errors } : { model, errors };
}

function toDirectRef(r: RelationReferenceJson): DirectRef {
  const ref: DirectRef = { type: r.type, wildcard: r.wildcard !== undefined && r.wildcard !== null };
  if (r.relation) ref.relation = r.relation;
  if (r.condition) ref.condition = r.condition;
  return ref;
}

function parseRewrite(json: UsersetJson | undefined, path: string, errors: RelationIssue[]): Rewrite | null {
  if (!json || typeof json !== "object") {
    errors.push(issue("INVALID_MODEL", "a relation needs a rewrite", path));
    return null;
  }
  if (json.this) return { kind: "this" };
  if (json.computedUserset) return { kind: "computed", relation: json.computedUserset.relation };
  if (json.tupleToUserset) {
    return {
      kind: "ttu",
      tupleset: json.tupleToUserset.tupleset?.relation,
      relation: json.tupleToUserset.computedUserset?.relation,
    };
  }
  if (json.union || json.intersection) {
    const kind = json.union ? "union" : "intersection";
    const childrenJson = (json.union ?? json.intersection)?.child ?? [];
    if (childrenJson.length === 0) {
      errors.push(issue("INVALID_MODEL", `${kind} needs at least one child`, `${path}.${kind}`));
      return null;
    }
    const children = childrenJson.map((c, i) => parseRewrite(c, `${path}.${kind}.child[${i}]`, errors));
    return children.every((c) => c !== null) ? { kind, children: children as Rewrite[] } : null;
  }
  if (json.difference) {
    const base = parseRewrite(json.difference.base, `${path}.difference.base`, errors);
    const subtract = parseRewrite(json.difference.subtract, `${path}.difference.subtract`, errors);
    return base && subtract ? { kind: "exclusion", base, subtract } : null;
  }
  errors.push(
    issue(
      "INVALID_MODEL",
      "unknown rewrite (expected this, computedUserset, tupleToUserset, union, intersection or difference)",
      path,
    ),
  );
  return null;
}
