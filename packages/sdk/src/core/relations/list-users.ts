import { bucketValues } from "./bucket";
import { check } from "./check";
import {
  COMPUTED,
  type ConditionSet,
  EXCLUSION,
  INTERSECTION,
  type PlanNode,
  planOf,
  type RelationEngine,
  type RelationPlan,
  THIS,
  TTU,
  UNION,
} from "./engine";
import { issue, type RelationIssue } from "./errors";
import { checkRelation, ERROR, gate, Run, TRUE } from "./evaluate";
import { contextualOverlay, isIssue, type QueryOptions } from "./request";
import { NO_ID, REL_SLOTS } from "./symbols";
import { parseObject } from "./tuple";
import type { TupleStore } from "./tuple-store";

export interface UserFilter {
  type: string;
  /** Set to list usersets (`group:eng#member`) instead of objects. */
  relation?: string;
}

export interface ListUsersRequest extends QueryOptions {
  object: string;
  relation: string;
  /** Which kinds of users to return; at least one. */
  userFilters: UserFilter[];
}

export interface ListUsersResult {
  /** Sorted; includes `type:*` when a wildcard grants the relation to every user of the type. */
  users: string[];
  error?: RelationIssue;
}

/**
 * Users of the filtered kinds that have `relation` on `object`. Walks the rewrites outward from the object to
 * gather candidates, then confirms each with a check, so the answer agrees with `check` by construction.
 */
export function listUsers(engine: RelationEngine, req: ListUsersRequest): ListUsersResult {
  const fail = (error: RelationIssue): ListUsersResult => ({ users: [], error });
  const object = parseObject(req.object);
  if (!object || object.id === "*")
    return fail(issue("INVALID_INPUT", `invalid object '${req.object}' (expected type:id)`, "object"));
  const type = engine.model.types.get(object.type);
  if (!type) return fail(issue("UNKNOWN_TYPE", `type '${object.type}' is not in the model`, "object"));
  if (!type.relations.has(req.relation)) {
    return fail(
      issue("UNKNOWN_RELATION", `relation '${object.type}#${req.relation}' is not in the model`, "relation"),
    );
  }
  if (!Array.isArray(req.userFilters) || req.userFilters.length === 0) {
    return fail(issue("INVALID_INPUT", "at least one user filter is required", "userFilters"));
  }
  const s = engine.store.symbols;
  const filters = new Set<number>();
  for (const [i, f] of req.userFilters.entries()) {
    const ft = engine.model.types.get(f.type);
    if (!ft)
      return fail(issue("UNKNOWN_TYPE", `type '${f.type}' is not in the model`, `userFilters[${i}].type`));
    if (f.relation !== undefined && f.relation !== "" && !ft.relations.has(f.relation)) {
      return fail(
        issue(
          "UNKNOWN_RELATION",
          `relation '${f.type}#${f.relation}' is not in the model`,
          `userFilters[${i}].relation`,
        ),
      );
    }
    filters.add(s.typeId(f.type) * REL_SLOTS + (f.relation ? s.relationId(f.relation) : 0));
  }
  const overlay = contextualOverlay(engine, req.contextualTuples);
  if (isIssue(overlay)) return fail(overlay);
  const root = planOf(engine, s.typeId(object.type), s.relationId(req.relation))!;
  const options = { context: req.context, at: req.at ?? Date.now(), explain: false };
  const gatherer = new Run(engine, overlay, options);
  const objectId = gatherer.sym.objectId(req.object);
  if (objectId === NO_ID) return ownUsersets(engine, req, object.type);
  const users: string[] = [];
  const found = gatherCandidates(gatherer, objectId, root, filters);
  if (found === null) return fail(gatherer.error!);
  for (const subject of found) {
    const run = new Run(engine, overlay, options);
    const rel = subject % REL_SLOTS;
    const obj = (subject - rel) / REL_SLOTS;
    run.setUser(run.sym.objectName(obj), run.sym.objectType(obj), rel);
    const outcome = checkRelation(run, objectId, root, 0);
    if (outcome === ERROR && run.error) return fail(run.error);
    if (outcome === TRUE) users.push(run.sym.subjectName(subject));
  }
  return { users: users.sort() };
}

/**
 * The users of an object no tuple names: only its own usersets can hold a relation on it (group:new#member
 * is a member of group:new, as check answers), so each the filters name is asked of check.
 */
function ownUsersets(engine: RelationEngine, req: ListUsersRequest, type: string): ListUsersResult {
  const users: string[] = [];
  for (const filter of req.userFilters) {
    if (filter.type !== type || !filter.relation) continue;
    const user = `${req.object}#${filter.relation}`;
    const { allowed, error } = check(engine, { ...req, user, explain: false });
    if (error) return { users: [], error };
    if (allowed && !users.includes(user)) users.push(user);
  }
  return { users: users.sort() };
}

/**
 * Every subject key matching a filter that some rewrite path from (object, relation) mentions. Tuples whose
 * condition is unmet are not followed; a condition that cannot be evaluated fails the whole listing (null),
 * as OpenFGA does, since the answer would otherwise be silently incomplete.
 */
function gatherCandidates(
  run: Run,
  objectId: number,
  root: RelationPlan,
  filters: ReadonlySet<number>,
): Set<number> | null {
  const out = new Set<number>();
  const seen = new Set<number>();
  const queue: [number, RelationPlan][] = [];
  const sym = run.sym;
  const push = (obj: number, plan: RelationPlan | undefined) => {
    if (!plan) return;
    const key = obj * REL_SLOTS + plan.relId;
    if (seen.has(key)) return;
    seen.add(key);
    queue.push([obj, plan]);
    if (filters.has(plan.typeId * REL_SLOTS + plan.relId)) out.add(key);
  };
  let failed = false;
  const admit = (store: TupleStore, bucket: number, subject: number, conds: ConditionSet): boolean => {
    const g = gate(run, store, bucket, subject, conds);
    if (g === ERROR) failed = true;
    return g === TRUE;
  };
  push(objectId, root);
  while (queue.length > 0 && !failed) {
    const [obj, plan] = queue.pop()!;
    const visit = (node: PlanNode): void => {
      switch (node.k) {
        case THIS: {
          const bucket = obj * REL_SLOTS + plan.relId;
          for (const store of run.stores) {
            for (const x of bucketValues(store.directOf(obj, plan.relId))) {
              const typeId = sym.objectType(x);
              const conds = (sym.wildcardOf(typeId) === x ? plan.wildcard : plan.plain).get(typeId);
              if (conds === undefined || !admit(store, bucket, x * REL_SLOTS, conds)) continue;
              if (filters.has(typeId * REL_SLOTS)) out.add(x * REL_SLOTS);
            }
            for (const subject of bucketValues(store.usersetsOf(obj, plan.relId))) {
              const rel = subject % REL_SLOTS;
              const x = (subject - rel) / REL_SLOTS;
              const typeId = sym.objectType(x);
              const conds = plan.usersetRefs.get(typeId * REL_SLOTS + rel);
              if (conds === undefined || !admit(store, bucket, subject, conds)) continue;
              if (filters.has(typeId * REL_SLOTS + rel)) out.add(subject);
              push(x, planOf(run.engine, typeId, rel));
            }
          }
          return;
        }
        case COMPUTED:
          push(obj, node.target);
          return;
        case TTU: {
          const bucket = obj * REL_SLOTS + node.tupleset.relId;
          for (const store of run.stores) {
            for (const parent of bucketValues(store.directOf(obj, node.tupleset.relId))) {
              const typeId = sym.objectType(parent);
              const conds = node.tupleset.plain.get(typeId);
              if (conds === undefined || !admit(store, bucket, parent * REL_SLOTS, conds)) continue;
              push(parent, node.targets.get(typeId));
            }
          }
          return;
        }
        case UNION:
        case INTERSECTION:
          node.children.forEach(visit);
          return;
        case EXCLUSION:
          visit(node.base);
      }
    };
    visit(plan.node);
  }
  return failed ? null : out;
}
