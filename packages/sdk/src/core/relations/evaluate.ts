import { type Bucket, bucketHas } from "./bucket";
import { evaluateCondition } from "./conditions";
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
import { NO_ID, REL_SLOTS, type Symbols } from "./symbols";
import type { TupleStore } from "./tuple-store";

/** Outcomes of one sub-check. CYCLE means "undecided because it loops back": it never grants. */
export const FALSE = 0;
export const TRUE = 1;
export const CYCLE = 2;
export const ERROR = 3;
export type Outcome = typeof FALSE | typeof TRUE | typeof CYCLE | typeof ERROR;

/** Sub-checks that met a cycle still open below them, and wait for it to close (see checkRelation). */
interface Pending {
  /** As in Run.memo, by sub-check. */
  readonly results: Map<number, number>;
  /** Each one's low index. */
  readonly low: Map<number, number>;
  /** In the order they finished, so that a finished search's share is a suffix. */
  readonly order: number[];
}

/** Run.low when the search met no cycle. */
const NO_CYCLE = 0x7fffffff;

/** Id for an object that no tuple names: every index lookup with it misses. */
export const UNKNOWN_OBJECT = -2;

export interface RunOptions {
  context?: Record<string, unknown>;
  at: number;
  explain: boolean;
}

/**
 * State of one check (or of the checks of one listObjects call, which share a user and so a memo).
 * The user is fixed for the whole run, so a sub-check is named by one number: `objectId * REL_SLOTS + relId`.
 */
export class Run {
  readonly stores: TupleStore[];
  readonly sym: Symbols;
  userObj = NO_ID;
  userRel = 0;
  userType = NO_ID;
  userKey = Number.NaN;
  userRef = Number.NaN;
  userWildcard = NO_ID;
  /** A `type:*` user matches only wildcard tuples, never a plain restriction. */
  userIsWildcard = false;
  readonly stack: number[] = [];
  /**
   * Settled sub-checks: the outcome in the low two bits, and above them the height of the search below it
   * (how many levels deeper than itself it went), so that a result is reused only where a fresh search from
   * there would also have stayed within the depth limit.
   */
  memo: Map<number, number> | null = null;
  /** The deepest level the current search has reached (see memo). */
  deepest = 0;
  /**
   * Bumped whenever a result depended on the path taken in a way nothing can settle (the depth limit, or a
   * cycle through an intersection or exclusion); such results are not memoised.
   */
  taint = 0;
  /**
   * The lowest stack index that the current search met a cycle at, through union-only relations (or NO_CYCLE).
   * A sub-check whose search met a cycle back to a sub-check still on the stack below it cannot be settled
   * until that one is: it waits in `pending` (see checkRelation).
   */
  low = NO_CYCLE;
  /** Results waiting for the sub-check at their low index to finish (see checkRelation); made when first needed. */
  pending: Pending | null = null;
  /** Sub-checks the current question may still evaluate (RelationEngine.maxEvaluations); set at depth 0. */
  budget = 0;
  error: RelationIssue | null = null;
  readonly trail: string[] | null;
  readonly notes: string[] | null;

  constructor(
    readonly engine: RelationEngine,
    overlay: TupleStore | null,
    readonly options: RunOptions,
  ) {
    this.stores = overlay ? [engine.store, overlay] : [engine.store];
    this.sym = overlay ? overlay.symbols : engine.store.symbols;
    this.trail = options.explain ? [] : null;
    this.notes = options.explain ? [] : null;
  }

  /** `typeId`/`relId` must be interned already (the engine does that for every model name). */
  setUser(objectName: string, typeId: number, relId: number): void {
    this.setUserIds(this.sym.objectId(objectName), typeId, relId);
  }

  /** As `setUser`, with the user's object id already looked up (NO_ID when no tuple names it). */
  setUserIds(userObj: number, typeId: number, relId: number): void {
    this.userObj = userObj;
    this.userType = typeId;
    this.userRel = relId;
    this.userKey = this.userObj === NO_ID ? Number.NaN : this.userObj * REL_SLOTS + relId;
    this.userRef = typeId * REL_SLOTS + relId;
    this.userWildcard = relId === 0 ? this.sym.wildcardOf(typeId) : NO_ID;
    this.userIsWildcard = this.userObj !== NO_ID && this.userObj === this.userWildcard;
  }

  /** Stands the user's object in for one that no tuple names (see UNKNOWN_OBJECT). */
  setUserObject(objectId: number): void {
    this.userObj = objectId;
    this.userKey = objectId * REL_SLOTS + this.userRel;
  }

  fail(e: RelationIssue): void {
    if (
      !this.error ||
      (this.error.code !== "RELATION_DEPTH_EXCEEDED" && e.code === "RELATION_DEPTH_EXCEEDED")
    )
      this.error = e;
  }

  note(text: string): void {
    this.notes?.push(text);
  }
}

/**
 * Cycles. A sub-check met again while it is still on the stack is undecided (CYCLE, which never grants).
 * Where the relations are unions only, membership is reachability, and a depth-first search may settle a
 * whole cycle at once (as Tarjan's algorithm finds strongly connected components): a sub-check whose search
 * met a cycle back to the sub-check at stack index `low` waits in `pending` and is reused as it is, both
 * while that one is still searching (any way out of the cycle is being searched from there) and, once that
 * one finishes without granting, for good (nothing the cycle reaches grants). If it grants, what waited is
 * dropped, as it may grant now too. Groups that all contain each other thus cost one sub-check per group,
 * rather than one per ordering of the groups. Through an intersection or an exclusion, a result that met a
 * cycle is not reused at all: there, what a cycle held back can change the answer either way.
 */
export function checkRelation(run: Run, objectId: number, plan: RelationPlan, depth: number): Outcome {
  const key = objectId * REL_SLOTS + plan.relId;
  // A userset always contains itself: group:x#member is in group:x#member.
  if (key === run.userKey) return TRUE;
  if (!plan.reach.has(run.userRef)) return FALSE;
  if (depth >= run.engine.maxDepth) {
    run.taint++;
    run.fail(
      issue(
        "RELATION_DEPTH_EXCEEDED",
        `resolution exceeded the depth limit of ${run.engine.maxDepth}`,
        "relation",
      ),
    );
    return ERROR;
  }
  if (depth > run.deepest) run.deepest = depth;
  const memo = run.memo;
  if (memo !== null) {
    const known = memo.get(key);
    if (known !== undefined) {
      const reached = depth + (known >> 2);
      // Deeper down than where it was settled, the same search would pass the limit: search again, and fail.
      if (reached < run.engine.maxDepth) {
        if (reached > run.deepest) run.deepest = reached;
        return (known & 3) as Outcome;
      }
    }
  }
  const pending = run.pending;
  if (pending !== null) {
    const known = pending.results.get(key);
    if (known !== undefined) {
      const reached = depth + (known >> 2);
      if (reached < run.engine.maxDepth) {
        if (reached > run.deepest) run.deepest = reached;
        const low = pending.low.get(key)!;
        if (low < run.low) run.low = low;
        return (known & 3) as Outcome;
      }
    }
  }
  const stack = run.stack;
  for (let i = 0; i < stack.length; i++) {
    if (stack[i] === key) {
      if (plan.unionOnly && run.trail === null) {
        if (i < run.low) run.low = i;
      } else {
        run.taint++;
      }
      run.note(`cycle at ${run.sym.objectName(objectId)}#${plan.relation}`);
      return CYCLE;
    }
  }
  // Each question (each candidate of a list) gets the whole budget; once it is spent, every sub-check fails
  // at once, so the search unwinds in the time it took to get there.
  if (depth === 0) run.budget = run.engine.maxEvaluations;
  if (--run.budget < 0) {
    run.taint++;
    run.fail(
      issue(
        "RELATION_DEPTH_EXCEEDED",
        `resolution exceeded the limit of ${run.engine.maxEvaluations} sub-checks`,
        "relation",
      ),
    );
    return ERROR;
  }
  const index = stack.length;
  stack.push(key);
  const taint = run.taint;
  const deepestAbove = run.deepest;
  const lowAbove = run.low;
  const pendingFrom = pending === null ? 0 : pending.order.length;
  run.deepest = depth;
  run.low = NO_CYCLE;
  const trailLength = run.trail?.length ?? 0;
  const result = evalNode(run, objectId, plan, plan.node, depth);
  stack.pop();
  const height = run.deepest - depth;
  if (deepestAbove > run.deepest) run.deepest = deepestAbove;
  const low = run.low;
  if (lowAbove < low) run.low = lowAbove;
  if (run.trail) {
    if (result === TRUE) run.trail.push(`${run.sym.objectName(objectId)}#${plan.relation}`);
    else run.trail.length = trailLength;
  } else if (taint === run.taint && result !== ERROR && (depth > 0 || memo !== null)) {
    if (low >= index || result === TRUE) {
      // Settled: it met no cycle below it that is still open. What waited on it is settled with it, unless
      // it grants (a grant is found through real tuples, so it needs no waiting either way).
      settlePending(run, pendingFrom, result !== TRUE);
      if (run.memo === null) run.memo = new Map();
      run.memo.set(key, result | (height << 2));
    } else {
      // What waited on this one now waits, with it, on the sub-check at `low` (never lower than theirs, as
      // their lows reached this one's): so that every pending low names a sub-check still on the stack.
      run.pending ??= { results: new Map(), low: new Map(), order: [] };
      const { order } = run.pending;
      for (let i = pendingFrom; i < order.length; i++) run.pending.low.set(order[i]!, low);
      run.pending.results.set(key, result | (height << 2));
      run.pending.low.set(key, low);
      order.push(key);
    }
  } else {
    settlePending(run, pendingFrom, false);
  }
  return result;
}

/** Ends the wait of the results pending since `from`: into the memo when `keep`, else dropped. */
function settlePending(run: Run, from: number, keep: boolean): void {
  const pending = run.pending;
  if (pending === null || pending.order.length === from) return;
  const { order, results } = pending;
  if (keep) run.memo ??= new Map();
  for (let i = from; i < order.length; i++) {
    const key = order[i]!;
    if (keep) run.memo!.set(key, results.get(key)!);
    results.delete(key);
    pending.low.delete(key);
  }
  order.length = from;
}

function evalNode(run: Run, objectId: number, plan: RelationPlan, node: PlanNode, depth: number): Outcome {
  switch (node.k) {
    case THIS:
      return evalDirect(run, objectId, plan, depth);
    case COMPUTED:
      return checkRelation(run, objectId, node.target, depth + 1);
    case TTU:
      return evalTupleToUserset(run, objectId, node, depth);
    case UNION: {
      let acc: Outcome = FALSE;
      for (const child of node.children) {
        const r = evalNode(run, objectId, plan, child, depth);
        if (r === TRUE) return TRUE;
        acc = orOutcome(acc, r);
      }
      return acc;
    }
    case INTERSECTION: {
      let acc: Outcome = TRUE;
      const trailLength = run.trail?.length ?? 0;
      for (const child of node.children) {
        const r = evalNode(run, objectId, plan, child, depth);
        if (r === FALSE) {
          if (run.trail) run.trail.length = trailLength;
          return FALSE;
        }
        if (r === ERROR || acc === ERROR) acc = ERROR;
        else if (r === CYCLE) acc = CYCLE;
      }
      return acc;
    }
    case EXCLUSION: {
      const base = evalNode(run, objectId, plan, node.base, depth);
      if (base === FALSE) return FALSE;
      const trailLength = run.trail?.length ?? 0;
      const subtract = evalNode(run, objectId, plan, node.subtract, depth);
      if (run.trail) run.trail.length = trailLength;
      if (subtract === TRUE) {
        run.note(`excluded by ${run.sym.objectName(objectId)}#${plan.relation}'s subtracted relation`);
        return FALSE;
      }
      if (base === ERROR || subtract === ERROR) return ERROR;
      if (base === CYCLE || subtract === CYCLE) return CYCLE;
      return TRUE;
    }
  }
}

/** Union of undecided outcomes: an error outranks a cycle, which outranks a plain no. */
function orOutcome(a: Outcome, b: Outcome): Outcome {
  if (a === ERROR || b === ERROR) return ERROR;
  if (a === CYCLE || b === CYCLE) return CYCLE;
  return FALSE;
}

function evalDirect(run: Run, objectId: number, plan: RelationPlan, depth: number): Outcome {
  const bucket = objectId * REL_SLOTS + plan.relId;
  let acc: Outcome = FALSE;
  const stores = run.stores;
  for (let i = 0; i < stores.length; i++) {
    const store = stores[i]!;
    if (run.userRel === 0) {
      const direct = store.directOf(objectId, plan.relId);
      if (direct !== undefined) {
        const conds = plan.plain.get(run.userType);
        if (conds !== undefined && !run.userIsWildcard && bucketHas(direct, run.userObj)) {
          const g = gate(run, store, bucket, run.userObj * REL_SLOTS, conds);
          if (g === TRUE) return grant(run, bucket, run.userObj * REL_SLOTS);
          acc = orOutcome(acc, g);
        }
        if (run.userWildcard !== NO_ID) {
          const wild = plan.wildcard.get(run.userType);
          if (wild !== undefined && bucketHas(direct, run.userWildcard)) {
            const g = gate(run, store, bucket, run.userWildcard * REL_SLOTS, wild);
            if (g === TRUE) return grant(run, bucket, run.userWildcard * REL_SLOTS);
            acc = orOutcome(acc, g);
          }
        }
      }
    } else {
      const conds = plan.usersetRefs.get(run.userRef);
      if (conds !== undefined && bucketHas(store.usersetsOf(objectId, plan.relId), run.userKey)) {
        const g = gate(run, store, bucket, run.userKey, conds);
        if (g === TRUE) return grant(run, bucket, run.userKey);
        acc = orOutcome(acc, g);
      }
    }
  }
  if (plan.usersetRefs.size === 0) return acc;
  for (let i = 0; i < stores.length; i++) {
    const store = stores[i]!;
    const sets = store.usersetsOf(objectId, plan.relId);
    if (sets === undefined) continue;
    const r = followUsersets(run, store, bucket, sets, plan, depth);
    if (r === TRUE) return TRUE;
    acc = orOutcome(acc, r);
  }
  return acc;
}

function followUsersets(
  run: Run,
  store: TupleStore,
  bucket: number,
  sets: Bucket,
  plan: RelationPlan,
  depth: number,
): Outcome {
  let acc: Outcome = FALSE;
  for (const subject of typeof sets === "number" ? [sets] : sets) {
    if (subject === run.userKey) continue;
    const rel = subject % REL_SLOTS;
    const obj = (subject - rel) / REL_SLOTS;
    const typeId = run.sym.objectType(obj);
    const conds = plan.usersetRefs.get(typeId * REL_SLOTS + rel);
    if (conds === undefined) continue;
    const target = planOf(run.engine, typeId, rel);
    if (target === undefined || !target.reach.has(run.userRef)) continue;
    const g = gate(run, store, bucket, subject, conds);
    if (g !== TRUE) {
      acc = orOutcome(acc, g);
      continue;
    }
    const r = checkRelation(run, obj, target, depth + 1);
    if (r === TRUE) {
      run.trail?.push(`${tupleName(run, bucket, subject)}`);
      return TRUE;
    }
    acc = orOutcome(acc, r);
  }
  return acc;
}

function evalTupleToUserset(
  run: Run,
  objectId: number,
  node: Extract<PlanNode, { k: typeof TTU }>,
  depth: number,
): Outcome {
  const bucket = objectId * REL_SLOTS + node.tupleset.relId;
  let acc: Outcome = FALSE;
  const stores = run.stores;
  for (let i = 0; i < stores.length; i++) {
    const store = stores[i]!;
    const parents = store.directOf(objectId, node.tupleset.relId);
    if (parents === undefined) continue;
    for (const parent of typeof parents === "number" ? [parents] : parents) {
      const typeId = run.sym.objectType(parent);
      const target = node.targets.get(typeId);
      if (target === undefined || !target.reach.has(run.userRef)) continue;
      const conds = node.tupleset.plain.get(typeId);
      if (conds === undefined || run.sym.wildcardOf(typeId) === parent) continue;
      const g = gate(run, store, bucket, parent * REL_SLOTS, conds);
      if (g !== TRUE) {
        acc = orOutcome(acc, g);
        continue;
      }
      const r = checkRelation(run, parent, target, depth + 1);
      if (r === TRUE) {
        run.trail?.push(tupleName(run, bucket, parent * REL_SLOTS));
        return TRUE;
      }
      acc = orOutcome(acc, r);
    }
  }
  return acc;
}

/**
 * Whether a stored tuple counts under the current model and request: it must match a type restriction
 * with its condition (tuples written under an older model are ignored, as OpenFGA does), be unexpired,
 * and its condition must hold.
 */
export function gate(
  run: Run,
  store: TupleStore,
  bucket: number,
  subject: number,
  conds: ConditionSet,
): Outcome {
  const meta = store.meta.size === 0 ? undefined : store.meta.get(bucket)?.get(subject);
  if (meta === undefined) return conds.has("") ? TRUE : FALSE;
  if (meta.expiresAt !== undefined && meta.expiresAt <= run.options.at) {
    run.note(`${tupleName(run, bucket, subject)} expired at ${new Date(meta.expiresAt).toISOString()}`);
    return FALSE;
  }
  const c = meta.condition;
  if (c === undefined) return conds.has("") ? TRUE : FALSE;
  const compiled = conds.has(c.name) ? run.engine.model.conditions.get(c.name) : undefined;
  if (compiled === undefined) return FALSE;
  const out = evaluateCondition(compiled, c.context, run.options.context);
  if (out.error !== undefined) {
    run.fail(issue("CONDITION_ERROR", `${tupleName(run, bucket, subject)}: ${out.error}`, "context"));
    return ERROR;
  }
  if (!out.met) run.note(`condition '${c.name}' of ${tupleName(run, bucket, subject)} is not met`);
  return out.met ? TRUE : FALSE;
}

function grant(run: Run, bucket: number, subject: number): Outcome {
  run.trail?.push(tupleName(run, bucket, subject));
  return TRUE;
}

export function tupleName(run: Run, bucket: number, subject: number): string {
  const rel = bucket % REL_SLOTS;
  return `${run.sym.objectName((bucket - rel) / REL_SLOTS)}#${run.sym.relationName(rel)}@${run.sym.subjectName(subject)}`;
}
