import { planOf, type RelationEngine } from "./engine";
import { issue, type RelationIssue } from "./errors";
import { checkRelation, ERROR, Run, TRUE, UNKNOWN_OBJECT } from "./evaluate";
import { contextualOverlay, isIssue, type QueryOptions, resolveUser } from "./request";
import { NO_ID } from "./symbols";
import { parseObject } from "./tuple";

export interface CheckRequest extends QueryOptions {
  object: string;
  relation: string;
  user: string;
  /** Also return the chain that granted access, or notes on why nothing did. */
  explain?: boolean;
}

export interface CheckResult {
  allowed: boolean;
  /** ENTITLED or RELATION_MISSING (the decision reason codes); absent when `error` is set. */
  reason?: "ENTITLED" | "RELATION_MISSING";
  /** With `explain` and access: from the checked relation down to the tuple that granted it. */
  path?: string[];
  /** With `explain` and no access: expired tuples, unmet conditions, cycles and exclusions met on the way. */
  notes?: string[];
  /** Set when the question could not be answered: invalid input, a condition that could not be evaluated, too deep. */
  error?: RelationIssue;
}

/** Whether `user` has `relation` on `object`. Never throws for bad input: problems come back in `error`. */
export function check(engine: RelationEngine, req: CheckRequest): CheckResult {
  const object = parseObject(req.object);
  if (!object || object.id === "*")
    return failed(issue("INVALID_INPUT", `invalid object '${req.object}' (expected type:id)`, "object"));
  const type = engine.model.types.get(object.type);
  if (!type) return failed(issue("UNKNOWN_TYPE", `type '${object.type}' is not in the model`, "object"));
  if (!type.relations.has(req.relation)) {
    return failed(
      issue("UNKNOWN_RELATION", `relation '${object.type}#${req.relation}' is not in the model`, "relation"),
    );
  }
  const user = resolveUser(engine, req.user, "user");
  if (isIssue(user)) return failed(user);
  const overlay = contextualOverlay(engine, req.contextualTuples);
  if (isIssue(overlay)) return failed(overlay);
  const s = engine.store.symbols;
  const plan = planOf(engine, s.typeId(object.type), s.relationId(req.relation))!;
  const run = new Run(engine, overlay, {
    context: req.context,
    at: req.at ?? Date.now(),
    explain: req.explain === true,
  });
  run.setUser(user.objectName, user.typeId, user.relId);
  let objectId = run.sym.objectId(req.object);
  if (objectId === NO_ID) {
    // No tuple names the object; it can still hold a userset of itself (group:new#member in group:new#member).
    objectId = UNKNOWN_OBJECT;
    if (user.objectName === req.object) run.setUserObject(UNKNOWN_OBJECT);
  }
  const outcome = checkRelation(run, objectId, plan, 0);
  if (outcome === TRUE) {
    const result: CheckResult = { allowed: true, reason: "ENTITLED" };
    if (run.trail) result.path = run.trail.reverse();
    return result;
  }
  if (outcome === ERROR && run.error) return failed(run.error);
  const result: CheckResult = { allowed: false, reason: "RELATION_MISSING" };
  if (run.notes)
    result.notes =
      run.notes.length > 0
        ? run.notes
        : [`no tuple or rewrite of ${req.object}#${req.relation} reaches ${req.user}`];
  return result;
}

/** Several checks against the same state; each answer is independent (one failing does not fail the rest). */
export function batchCheck(engine: RelationEngine, requests: readonly CheckRequest[]): CheckResult[] {
  return requests.map((r) => check(engine, r));
}

function failed(error: RelationIssue): CheckResult {
  return { allowed: false, error };
}
