import { validateConditionContext } from "./conditions";
import { issue, type RelationIssue } from "./errors";
import type { CompiledModel } from "./model";
import { parseObject, parseUser, type RelationTuple } from "./tuple";

/**
 * Whether the model allows a tuple: names resolve, and the user matches one of the relation's type
 * restrictions including its condition. Returns every problem found (empty when valid), code INVALID_TUPLE.
 */
export function validateTuple(model: CompiledModel, t: RelationTuple, path = "tuple"): RelationIssue[] {
  const bad = (message: string, field: string) => [issue("INVALID_TUPLE", message, `${path}.${field}`)];
  const object = parseObject(t?.object);
  if (!object || object.id === "*") return bad(`invalid object '${t?.object}' (expected type:id)`, "object");
  const type = model.types.get(object.type);
  if (!type) return bad(`type '${object.type}' is not in the model`, "object");
  if (typeof t.relation !== "string" || t.relation === "") return bad("a relation is required", "relation");
  const rel = type.relations.get(t.relation);
  if (!rel) return bad(`relation '${object.type}#${t.relation}' is not in the model`, "relation");
  const user = parseUser(t.user);
  if (!user) return bad(`invalid user '${t.user}' (expected type:id, type:* or type:id#relation)`, "user");
  const userType = model.types.get(user.type);
  if (!userType) return bad(`type '${user.type}' is not in the model`, "user");
  if (user.relation !== undefined && !userType.relations.has(user.relation)) {
    return bad(`relation '${user.type}#${user.relation}' is not in the model`, "user");
  }
  const condition = t.condition?.name || undefined;
  const allowed = rel.directTypes.some(
    (d) =>
      d.type === user.type &&
      d.relation === user.relation &&
      d.wildcard === user.wildcard &&
      d.condition === condition,
  );
  if (!allowed) {
    const shape = `${user.type}${user.wildcard ? ":*" : ""}${user.relation ? `#${user.relation}` : ""}${condition ? ` with ${condition}` : ""}`;
    return bad(`'${shape}' is not allowed in ${object.type}#${t.relation}`, "user");
  }
  const problems: RelationIssue[] = [];
  if (condition) {
    const compiled = model.conditions.get(condition);
    const contextProblem = compiled
      ? validateConditionContext(compiled, t.condition?.context)
      : `condition '${condition}' is not in the model`;
    if (contextProblem) problems.push(issue("INVALID_TUPLE", contextProblem, `${path}.condition`));
  }
  if (t.expiresAt !== undefined && (typeof t.expiresAt !== "number" || !Number.isFinite(t.expiresAt))) {
    problems.push(issue("INVALID_TUPLE", "expiresAt must be epoch milliseconds", `${path}.expiresAt`));
  }
  return problems;
}

/** Validates a batch; each problem's path names the tuple's index. */
export function validateTuples(
  model: CompiledModel,
  tuples: readonly RelationTuple[],
  path = "tuples",
): RelationIssue[] {
  return tuples.flatMap((t, i) => validateTuple(model, t, `${path}[${i}]`));
}
