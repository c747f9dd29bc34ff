import { bucketHas } from "./bucket";
import { planOf, type RelationEngine, type RelationPlan } from "./engine";
import { issue, type RelationIssue } from "./errors";
import { checkRelation, ERROR, type Outcome, Run, TRUE, UNKNOWN_OBJECT } from "./evaluate";
import { contextualOverlay, isIssue, type QueryOptions, resolveUser } from "./request";
import { NO_ID, REL_SLOTS } from "./symbols";
import { parseObject } from "./tuple";
import type { TupleStore } from "./tuple-store";

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
  if (req.explain !== true && (!req.contextualTuples || req.contextualTuples.length === 0)) {
    const quick = quickCheck(engine, req);
    if (quick !== null) return quick;
  }
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
  return answer(run, checkRelation(run, objectId, plan, 0), req);
}

/**
 * The common case: no contextual tuples, no explain, and an object and a plain user that tuples name, so
 * both are already interned (and so valid: tuples are validated before they are indexed). Resolves them once,
 * without parsing, and answers a stored direct tuple without setting up a Run. Returns null for anything
 * else (unknown names, usersets, `type:*`, names outside the model), which the full path handles.
 */
function quickCheck(engine: RelationEngine, req: CheckRequest): CheckResult | null {
  const store = engine.store;
  const s = store.symbols;
  const objectId = s.objectId(req.object);
  if (objectId === NO_ID) return null;
  const typeId = s.objectType(objectId);
  const relId = s.relationId(req.relation);
  const plan = relId > 0 ? engine.plans[typeId]?.[relId] : undefined;
  if (plan === undefined) return null;
  const user = req.user;
  const userObj = s.objectId(user);
  if (userObj === NO_ID) return null;
  const userType = s.objectType(userObj);
  // What the full path rejects or treats apart: `type:*` as the object (invalid) or as the user (it matches
  // wildcard tuples only), a user id with a colon (invalid as a user), a user type outside the model.
  if (s.wildcardOf(typeId) === objectId || s.wildcardOf(userType) === userObj) return null;
  if (engine.plans[userType] === undefined) return null;
  if (user.indexOf(":", s.typeName(userType).length + 1) >= 0) return null;
  if (plan.directGrants && engine.maxDepth > 0 && directHit(store, plan, objectId, userObj, userType))
    return { allowed: true, reason: "ENTITLED" };
  const run = new Run(engine, null, { context: req.context, at: req.at ?? Date.now(), explain: false });
  run.setUserIds(userObj, userType, 0);
  return answer(run, checkRelation(run, objectId, plan, 0), req);
}

/**
 * Whether a stored tuple `object#relation@user`, with neither condition nor expiry, is admitted by the
 * relation's type restrictions without a condition. For a relation whose rewrite is `this`, or a union with
 * `this` among its children (a union grants as soon as any child does), that alone grants access.
 */
function directHit(
  store: TupleStore,
  plan: RelationPlan,
  objectId: number,
  userObj: number,
  userType: number,
): boolean {
  if (!plan.unconditional.has(userType)) return false;
  if (!bucketHas(store.directOf(objectId, plan.relId), userObj)) return false;
  return (
    store.meta.size === 0 ||
    store.meta.get(objectId * REL_SLOTS + plan.relId)?.has(userObj * REL_SLOTS) !== true
  );
}

function answer(run: Run, outcome: Outcome, req: CheckRequest): CheckResult {
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
