import { bucketValues } from "./bucket";
import {
  COMPUTED,
  EXCLUSION,
  INTERSECTION,
  type PlanNode,
  planOf,
  type RelationEngine,
  type RelationPlan,
  TTU,
  UNION,
} from "./engine";
import { issue, type RelationIssue } from "./errors";
import { checkRelation, ERROR, Run, TRUE, UNKNOWN_OBJECT } from "./evaluate";
import { contextualOverlay, isIssue, type QueryOptions, resolveUser } from "./request";
import { NO_ID, REL_SLOTS } from "./symbols";
import { reverseSlot } from "./tuple-store";

export interface ListObjectsRequest extends QueryOptions {
  type: string;
  relation: string;
  user: string;
  /** From a previous page's `cursor`. */
  cursor?: string;
  /** At most this many objects per page (default 1000). */
  pageSize?: number;
}

export interface ListObjectsResult {
  /** Sorted by name; a page never silently drops objects: when more remain, `cursor` is set. */
  objects: string[];
  cursor: string | null;
  error?: RelationIssue;
}

export const DEFAULT_PAGE_SIZE = 1000;

/**
 * Objects of `type` on which `user` has `relation`. Candidates come from walking the reverse index outward
 * from the user along the model's edges that can lead to the target relation; each is then confirmed by a
 * check (sharing one memo, since the user is the same), which settles intersections, exclusions,
 * conditions and expiry exactly as `check` would.
 */
export function listObjects(engine: RelationEngine, req: ListObjectsRequest): ListObjectsResult {
  const fail = (error: RelationIssue): ListObjectsResult => ({ objects: [], cursor: null, error });
  const type = engine.model.types.get(req.type);
  if (!type) return fail(issue("UNKNOWN_TYPE", `type '${req.type}' is not in the model`, "type"));
  if (!type.relations.has(req.relation)) {
    return fail(
      issue("UNKNOWN_RELATION", `relation '${req.type}#${req.relation}' is not in the model`, "relation"),
    );
  }
  const pageSize = req.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    return fail(issue("INVALID_INPUT", "pageSize must be a positive integer", "pageSize"));
  let after: string | null = null;
  if (req.cursor) {
    after = decodeCursor(req.cursor);
    if (after === null)
      return fail(issue("INVALID_CURSOR", "the cursor is not one this service issued", "cursor"));
  }
  const user = resolveUser(engine, req.user, "user");
  if (isIssue(user)) return fail(user);
  const overlay = contextualOverlay(engine, req.contextualTuples);
  if (isIssue(overlay)) return fail(overlay);
  const s = engine.store.symbols;
  const target = planOf(engine, s.typeId(req.type), s.relationId(req.relation))!;
  const run = new Run(engine, overlay, { context: req.context, at: req.at ?? Date.now(), explain: false });
  run.setUser(user.objectName, user.typeId, user.relId);
  run.memo = new Map();
  const names: string[] = [];
  for (const objectId of candidates(run, target)) {
    const outcome = checkRelation(run, objectId, target, 0);
    if (outcome === ERROR && run.error) return fail(run.error);
    if (outcome === TRUE) names.push(run.sym.objectName(objectId));
  }
  if (run.userObj === NO_ID && user.relId !== 0 && user.typeId === target.typeId) {
    // A userset of an object no tuple names (group:new#member) holds itself, as check answers: the one
    // object it can reach is its own, which the walk above, starting from names tuples hold, cannot find.
    run.setUserObject(UNKNOWN_OBJECT);
    const outcome = checkRelation(run, UNKNOWN_OBJECT, target, 0);
    if (outcome === ERROR && run.error) return fail(run.error);
    if (outcome === TRUE) names.push(user.objectName);
  }
  names.sort();
  let start = 0;
  if (after !== null) {
    const a = after;
    start = lowerBound(names, (n) => n > a);
  }
  const objects = names.slice(start, start + pageSize);
  const more = start + pageSize < names.length;
  return { objects, cursor: more ? encodeCursor(objects[objects.length - 1]!) : null };
}

function candidates(run: Run, target: RelationPlan): Set<number> {
  const graph = reverseGraph(run.engine, target);
  const out = new Set<number>();
  const seen = new Set<number>();
  const queue: number[] = [];
  const push = (key: number) => {
    if (!seen.has(key)) {
      seen.add(key);
      queue.push(key);
    }
  };
  if (run.userObj !== NO_ID) push(run.userKey);
  // A user no tuple names can still be granted through `type:*`.
  if (run.userWildcard !== NO_ID) push(run.userWildcard * REL_SLOTS);
  const sym = run.sym;
  while (queue.length > 0) {
    const key = queue.pop()!;
    const rel = key % REL_SLOTS;
    const obj = (key - rel) / REL_SLOTS;
    const typeId = sym.objectType(obj);
    let into: readonly RelationPlan[] | undefined;
    if (rel === 0) {
      into = (sym.wildcardOf(typeId) === obj ? graph.wildcardInto : graph.plainInto).get(typeId);
    } else {
      into = graph.usersetInto.get(typeId * REL_SLOTS + rel);
      const plan = planOf(run.engine, typeId, rel);
      if (plan === target) out.add(obj);
      if (plan) {
        for (const q of graph.computedInto.get(plan) ?? []) push(obj * REL_SLOTS + q.relId);
        for (const edge of graph.arrowInto.get(plan) ?? []) {
          const slot = reverseSlot(edge.tupleset.relId, edge.into.typeId);
          for (const store of run.stores) {
            for (const y of bucketValues(store.reverse.get(obj * REL_SLOTS)?.get(slot)))
              push(y * REL_SLOTS + edge.into.relId);
          }
        }
      }
    }
    for (const q of into ?? []) {
      const slot = reverseSlot(q.relId, q.typeId);
      for (const store of run.stores) {
        for (const y of bucketValues(store.reverse.get(key)?.get(slot))) push(y * REL_SLOTS + q.relId);
      }
    }
  }
  return out;
}

/** The model's edges, reversed and restricted to relations that can lead to the target; cached per engine. */
interface ReverseGraph {
  plainInto: Map<number, RelationPlan[]>;
  wildcardInto: Map<number, RelationPlan[]>;
  usersetInto: Map<number, RelationPlan[]>;
  computedInto: Map<RelationPlan, RelationPlan[]>;
  arrowInto: Map<RelationPlan, { into: RelationPlan; tupleset: RelationPlan }[]>;
}

const graphs = new WeakMap<RelationEngine, Map<RelationPlan, ReverseGraph>>();

function reverseGraph(engine: RelationEngine, target: RelationPlan): ReverseGraph {
  let byTarget = graphs.get(engine);
  if (!byTarget) {
    byTarget = new Map();
    graphs.set(engine, byTarget);
  }
  const cached = byTarget.get(target);
  if (cached) return cached;
  const relevant = new Set<RelationPlan>([target]);
  const stack = [target];
  while (stack.length > 0) {
    for (const input of stack.pop()!.inputs) {
      if (!relevant.has(input)) {
        relevant.add(input);
        stack.push(input);
      }
    }
  }
  const g: ReverseGraph = {
    plainInto: new Map(),
    wildcardInto: new Map(),
    usersetInto: new Map(),
    computedInto: new Map(),
    arrowInto: new Map(),
  };
  const add = <K, V>(m: Map<K, V[]>, k: K, v: V) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (const plan of relevant) {
    for (const t of plan.plain.keys()) add(g.plainInto, t, plan);
    for (const t of plan.wildcard.keys()) add(g.wildcardInto, t, plan);
    for (const k of plan.usersetRefs.keys()) add(g.usersetInto, k, plan);
    const walk = (node: PlanNode) => {
      if (node.k === COMPUTED) add(g.computedInto, node.target, plan);
      else if (node.k === TTU)
        for (const t of node.targets.values()) add(g.arrowInto, t, { into: plan, tupleset: node.tupleset });
      else if (node.k === UNION || node.k === INTERSECTION) node.children.forEach(walk);
      else if (node.k === EXCLUSION) walk(node.base);
    };
    walk(plan.node);
  }
  byTarget.set(target, g);
  return g;
}

function lowerBound(sorted: string[], isAfter: (n: string) => boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isAfter(sorted[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Cursors are opaque to clients; inside, the last name returned. */
function encodeCursor(last: string): string {
  return `c1.${encodeURIComponent(last)}`;
}

function decodeCursor(cursor: string): string | null {
  if (!cursor.startsWith("c1.")) return null;
  try {
    return decodeURIComponent(cursor.slice(3));
  } catch {
    return null;
  }
}
