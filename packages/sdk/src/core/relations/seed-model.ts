import { issue, type RelationIssue } from "./errors";
import type {
  AuthorizationModelJson,
  RelationReferenceJson,
  TypeDefinitionJson,
  UsersetJson,
} from "./model-json";

/** Frontegg-style entity type: relations name who may hold them, actions are unions of relations and arrows. */
export interface SeedEntityType {
  key: string;
  relations?: { key: string; subjectEntityTypeKeys: string[] }[];
  actions?: { key: string; relationKeys: (string | { fromRelation: string; toAction: string })[] }[];
}

/**
 * Converts seed entity types to an OpenFGA JSON model: a relation becomes an assignable relation whose type
 * restrictions are its subject keys (`user`, `group#member`, `user:*`); an action becomes a relation that is
 * the union of its relations and arrows (`{fromRelation: "parent", toAction: "read"}` is `read from parent`).
 * Subject types with no entity type of their own become bare types. Compile the result to validate it.
 */
export function seedToModel(entityTypes: readonly SeedEntityType[]): {
  model: AuthorizationModelJson;
  errors: RelationIssue[];
} {
  const errors: RelationIssue[] = [];
  const defs = new Map<string, TypeDefinitionJson>();
  const ensure = (type: string): TypeDefinitionJson => {
    let def = defs.get(type);
    if (!def) {
      def = { type, relations: {}, metadata: { relations: {} } };
      defs.set(type, def);
    }
    return def;
  };
  entityTypes.forEach((et, i) => {
    if (defs.has(et.key) && Object.keys(defs.get(et.key)?.relations ?? {}).length > 0) {
      errors.push(
        issue("INVALID_MODEL", `entity type '${et.key}' is defined twice`, `entityTypes[${i}].key`),
      );
    }
    ensure(et.key);
  });
  entityTypes.forEach((et, i) => {
    const def = ensure(et.key);
    const relations = def.relations!;
    const meta = def.metadata!.relations!;
    (et.relations ?? []).forEach((rel, j) => {
      const path = `entityTypes[${i}].relations[${j}]`;
      if (relations[rel.key]) {
        errors.push(issue("INVALID_MODEL", `${et.key} defines '${rel.key}' twice`, `${path}.key`));
        return;
      }
      const refs: RelationReferenceJson[] = [];
      for (const subject of rel.subjectEntityTypeKeys ?? []) {
        const ref = subjectRef(subject);
        if (!ref) {
          errors.push(
            issue(
              "INVALID_MODEL",
              `invalid subject entity type '${subject}'`,
              `${path}.subjectEntityTypeKeys`,
            ),
          );
          continue;
        }
        if (!entityTypes.some((e) => e.key === ref.type)) ensure(ref.type);
        refs.push(ref);
      }
      relations[rel.key] = { this: {} };
      meta[rel.key] = { directly_related_user_types: refs };
    });
    (et.actions ?? []).forEach((action, j) => {
      const path = `entityTypes[${i}].actions[${j}]`;
      if (relations[action.key]) {
        errors.push(
          issue(
            "INVALID_MODEL",
            `${et.key} uses '${action.key}' as both a relation and an action`,
            `${path}.key`,
          ),
        );
        return;
      }
      const children: UsersetJson[] = (action.relationKeys ?? []).map((k) =>
        typeof k === "string"
          ? { computedUserset: { relation: k } }
          : {
              tupleToUserset: {
                tupleset: { relation: k.fromRelation },
                computedUserset: { relation: k.toAction },
              },
            },
      );
      if (children.length === 0) {
        errors.push(
          issue(
            "INVALID_MODEL",
            `action '${et.key}#${action.key}' needs at least one relation`,
            `${path}.relationKeys`,
          ),
        );
        return;
      }
      relations[action.key] = children.length === 1 ? children[0]! : { union: { child: children } };
      meta[action.key] = { directly_related_user_types: [] };
    });
  });
  return { model: { schema_version: "1.1", type_definitions: [...defs.values()] }, errors };
}

function subjectRef(subject: string): RelationReferenceJson | null {
  const m = /^([^\s:#@*]+)(?:(#)([^\s:#@*]+)|(:\*))?$/.exec(subject);
  if (!m) return null;
  if (m[3]) return { type: m[1]!, relation: m[3] };
  if (m[4]) return { type: m[1]!, wildcard: {} };
  return { type: m[1]! };
}
