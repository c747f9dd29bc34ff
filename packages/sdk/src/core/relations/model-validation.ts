import { issue, type RelationIssue } from "./errors";
import type { CompiledModel, Rewrite, TypeDef } from "./model";

/**
 * OpenFGA's typesystem rules, minus what the JSON shape already rules out: every name resolves, type
 * restrictions exist exactly where `this` is used, tuplesets are plain direct relations, and every relation
 * can be reached from some stored tuple (otherwise it is a cycle that can never terminate).
 */
export function findModelProblems(model: CompiledModel): RelationIssue[] {
  const errors: RelationIssue[] = [];
  const typeIndex = new Map([...model.types.keys()].map((t, i) => [t, i]));
  for (const type of model.types.values()) {
    const path = `type_definitions[${typeIndex.get(type.name)}]`;
    for (const rel of type.relations.values()) {
      const relPath = `${path}.relations.${rel.name}`;
      const hasThis = usesThis(rel.rewrite);
      if (hasThis && rel.directTypes.length === 0) {
        errors.push(
          issue(
            "INVALID_MODEL",
            `${type.name}#${rel.name} is assignable but has no type restrictions`,
            relPath,
          ),
        );
      }
      if (!hasThis && rel.directTypes.length > 0) {
        errors.push(
          issue(
            "INVALID_MODEL",
            `${type.name}#${rel.name} has type restrictions but is not assignable`,
            relPath,
          ),
        );
      }
      const seen = new Set<string>();
      rel.directTypes.forEach((ref, i) => {
        const refPath = `${path}.metadata.relations.${rel.name}.directly_related_user_types[${i}]`;
        const label = `${ref.type}${ref.wildcard ? ":*" : ""}${ref.relation ? `#${ref.relation}` : ""}${ref.condition ? ` with ${ref.condition}` : ""}`;
        if (seen.has(label))
          errors.push(issue("INVALID_MODEL", `${type.name}#${rel.name} lists '${label}' twice`, refPath));
        seen.add(label);
        const target = model.types.get(ref.type);
        if (!target) {
          errors.push(
            issue(
              "INVALID_MODEL",
              `${type.name}#${rel.name} refers to undefined type '${ref.type}'`,
              refPath,
            ),
          );
        } else if (ref.relation !== undefined && !target.relations.has(ref.relation)) {
          errors.push(
            issue(
              "INVALID_MODEL",
              `${type.name}#${rel.name} refers to undefined relation '${ref.type}#${ref.relation}'`,
              refPath,
            ),
          );
        }
        if (ref.wildcard && ref.relation !== undefined) {
          errors.push(
            issue("INVALID_MODEL", `${type.name}#${rel.name}: a wildcard cannot name a relation`, refPath),
          );
        }
        if (ref.condition !== undefined && !model.conditions.has(ref.condition)) {
          errors.push(
            issue(
              "INVALID_MODEL",
              `${type.name}#${rel.name} refers to undefined condition '${ref.condition}'`,
              refPath,
            ),
          );
        }
      });
      checkRewriteNames(model, type, rel.name, rel.rewrite, relPath, errors);
    }
  }
  if (errors.length > 0) return errors;
  const entry = new EntrypointFinder(model);
  for (const type of model.types.values()) {
    for (const rel of type.relations.values()) {
      if (!entry.has(type.name, rel.name)) {
        errors.push(
          issue(
            "INVALID_MODEL",
            `${type.name}#${rel.name} can never be satisfied: every path loops back to itself or needs a relation that cannot be`,
            `type_definitions[${typeIndex.get(type.name)}].relations.${rel.name}`,
          ),
        );
      }
    }
  }
  return errors;
}

function checkRewriteNames(
  model: CompiledModel,
  type: TypeDef,
  relation: string,
  r: Rewrite,
  path: string,
  errors: RelationIssue[],
): void {
  const where = `${type.name}#${relation}`;
  switch (r.kind) {
    case "this":
      return;
    case "computed":
      if (!type.relations.has(r.relation))
        errors.push(issue("INVALID_MODEL", `${where} refers to undefined relation '${r.relation}'`, path));
      return;
    case "ttu": {
      const tupleset = type.relations.get(r.tupleset);
      if (!tupleset) {
        errors.push(
          issue("INVALID_MODEL", `${where} refers to undefined tupleset relation '${r.tupleset}'`, path),
        );
        return;
      }
      if (tupleset.rewrite.kind !== "this") {
        errors.push(
          issue(
            "INVALID_MODEL",
            `${where}: tupleset '${r.tupleset}' must be a directly assignable relation`,
            path,
          ),
        );
      }
      if (tupleset.directTypes.some((d) => d.relation !== undefined || d.wildcard)) {
        errors.push(
          issue(
            "INVALID_MODEL",
            `${where}: tupleset '${r.tupleset}' may only allow plain object types`,
            path,
          ),
        );
      }
      const defined = tupleset.directTypes.some((d) => model.types.get(d.type)?.relations.has(r.relation));
      if (!defined) {
        errors.push(
          issue(
            "INVALID_MODEL",
            `${where}: no type allowed in '${r.tupleset}' defines relation '${r.relation}'`,
            path,
          ),
        );
      }
      return;
    }
    case "union":
    case "intersection":
      for (const c of r.children) checkRewriteNames(model, type, relation, c, path, errors);
      return;
    case "exclusion":
      checkRewriteNames(model, type, relation, r.base, path, errors);
      checkRewriteNames(model, type, relation, r.subtract, path, errors);
  }
}

/** A relation has an entrypoint when some tuple could make it true without going round a loop. */
class EntrypointFinder {
  private readonly known = new Map<string, boolean>();
  private readonly visiting = new Set<string>();
  constructor(private readonly model: CompiledModel) {}

  has(type: string, relation: string): boolean {
    const key = `${type}#${relation}`;
    const cached = this.known.get(key);
    if (cached !== undefined) return cached;
    if (this.visiting.has(key)) return false;
    const rel = this.model.types.get(type)?.relations.get(relation);
    if (!rel) return false;
    this.visiting.add(key);
    const result = this.rewrite(type, rel.rewrite, rel.directTypes);
    this.visiting.delete(key);
    // A false found inside a loop may turn true from another starting point, so only the outermost answer is kept.
    if (result || this.visiting.size === 0) this.known.set(key, result);
    return result;
  }

  private rewrite(type: string, r: Rewrite, direct: { type: string; relation?: string }[]): boolean {
    switch (r.kind) {
      case "this":
        return direct.some((d) => d.relation === undefined || this.has(d.type, d.relation));
      case "computed":
        return this.has(type, r.relation);
      case "ttu": {
        const tupleset = this.model.types.get(type)?.relations.get(r.tupleset);
        return (tupleset?.directTypes ?? []).some(
          (d) => this.model.types.get(d.type)?.relations.has(r.relation) && this.has(d.type, r.relation),
        );
      }
      case "union":
        return r.children.some((c) => this.rewrite(type, c, direct));
      case "intersection":
        return r.children.every((c) => this.rewrite(type, c, direct));
      case "exclusion":
        return this.rewrite(type, r.base, direct);
    }
  }
}

/** Whether a rewrite mentions `this` anywhere. */
export function usesThis(r: Rewrite): boolean {
  switch (r.kind) {
    case "this":
      return true;
    case "union":
    case "intersection":
      return r.children.some(usesThis);
    case "exclusion":
      return usesThis(r.base) || usesThis(r.subtract);
    default:
      return false;
  }
}
