import type { CompiledModel, DirectRef, Rewrite } from "./model";
import { REL_SLOTS } from "./symbols";
import type { TupleStore } from "./tuple-store";

export const DEFAULT_MAX_DEPTH = 25;
/**
 * Sub-checks one question may evaluate (memo hits not counted). A graph of groups that all contain each other
 * has as many cycle-free paths as orderings of its groups. Where every relation on the way is a union, cycles
 * are settled as a whole (checkRelation) and each sub-check runs once; where one is an intersection or an
 * exclusion, results that meet a cycle cannot be reused, and without a bound 110 such tuples held one check,
 * and the process with it, for seconds to hours.
 */
export const DEFAULT_MAX_EVALUATIONS = 100_000;

/** Allowed conditions of one type restriction; "" stands for "no condition". */
export type ConditionSet = ReadonlySet<string>;

export const THIS = 0;
export const COMPUTED = 1;
export const TTU = 2;
export const UNION = 3;
export const INTERSECTION = 4;
export const EXCLUSION = 5;

export type PlanNode =
  | { k: typeof THIS }
  | { k: typeof COMPUTED; target: RelationPlan }
  | { k: typeof TTU; tupleset: RelationPlan; relation: string; targets: Map<number, RelationPlan> }
  | { k: typeof UNION | typeof INTERSECTION; children: PlanNode[] }
  | { k: typeof EXCLUSION; base: PlanNode; subtract: PlanNode };

/** A relation of the model with every name resolved to the store's integer ids. */
export interface RelationPlan {
  readonly typeId: number;
  readonly relId: number;
  readonly type: string;
  readonly relation: string;
  node: PlanNode;
  readonly rewrite: Rewrite;
  readonly directTypes: readonly DirectRef[];
  /** Type restrictions: plain object types, wildcards, and usersets (key `typeId * REL_SLOTS + relId`). */
  readonly plain: Map<number, ConditionSet>;
  readonly wildcard: Map<number, ConditionSet>;
  readonly usersetRefs: Map<number, ConditionSet>;
  /**
   * Subject kinds that can ever be members (`typeId * REL_SLOTS` for objects of a type, plus the userset
   * key for usersets): a check for any other kind is false without reading a tuple.
   */
  readonly reach: Set<number>;
  /** Relations this one's non-subtracted rewrite reads (by userset, computed relation or arrow). */
  readonly inputs: RelationPlan[];
  /**
   * Whether a matching direct tuple alone grants the relation: the rewrite is `this`, or a union (of unions)
   * with `this` among its children. Lets `check` answer the common direct case without a full evaluation.
   */
  directGrants: boolean;
  /** Plain object types whose direct tuples count without a condition (a subset of `plain`'s keys). */
  readonly unconditional: Set<number>;
  /**
   * Whether this relation and every relation it reads are unions only (no `and`, no `but not`). Membership
   * is then plain reachability, which is monotone: a search that meets a cycle back to one of these can
   * settle the whole cycle at once (see checkRelation), instead of trying every path through it.
   */
  unionOnly: boolean;
}

/** A model bound to a tuple store. Cheap to create; make a new one whenever the model changes. */
export interface RelationEngine {
  readonly model: CompiledModel;
  readonly store: TupleStore;
  readonly maxDepth: number;
  readonly maxEvaluations: number;
  readonly plans: ReadonlyArray<ReadonlyArray<RelationPlan | undefined> | undefined>;
}

export interface EngineOptions {
  /** Longest chain of rewrites and usersets one query may follow (OpenFGA's resolve node limit). */
  maxDepth?: number;
  /** Sub-checks one query may evaluate before it fails with RELATION_DEPTH_EXCEEDED. */
  maxEvaluations?: number;
}

export function createEngine(
  model: CompiledModel,
  store: TupleStore,
  options: EngineOptions = {},
): RelationEngine {
  const s = store.symbols;
  const plans: RelationPlan[][] = [];
  const all: RelationPlan[] = [];
  for (const type of model.types.values()) {
    const typeId = s.internType(type.name);
    const row: RelationPlan[] = [];
    plans[typeId] = row;
    for (const rel of type.relations.values()) {
      const relId = s.internRelation(rel.name);
      const plan: RelationPlan = {
        typeId,
        relId,
        type: type.name,
        relation: rel.name,
        node: { k: THIS },
        rewrite: rel.rewrite,
        directTypes: rel.directTypes,
        plain: new Map(),
        wildcard: new Map(),
        usersetRefs: new Map(),
        reach: new Set(),
        inputs: [],
        directGrants: false,
        unconditional: new Set(),
        unionOnly: false,
      };
      for (const ref of rel.directTypes) {
        const refType = s.internType(ref.type);
        const cond = ref.condition ?? "";
        const map = ref.relation !== undefined ? plan.usersetRefs : ref.wildcard ? plan.wildcard : plan.plain;
        const key =
          ref.relation !== undefined ? refType * REL_SLOTS + s.internRelation(ref.relation) : refType;
        const set = (map.get(key) as Set<string> | undefined) ?? new Set<string>();
        set.add(cond);
        map.set(key, set);
        if (map === plan.plain && cond === "") plan.unconditional.add(key);
      }
      row[relId] = plan;
      all.push(plan);
    }
  }
  const lookup = (typeId: number, relation: string): RelationPlan | undefined => {
    const relId = s.relationId(relation);
    return relId < 0 ? undefined : plans[typeId]?.[relId];
  };
  for (const plan of all) {
    plan.node = toNode(plan, plan.rewrite, lookup);
    plan.directGrants = grantsDirectly(plan.node);
  }
  computeReach(all, plans);
  computeUnionOnly(all);
  return {
    model,
    store,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxEvaluations: options.maxEvaluations ?? DEFAULT_MAX_EVALUATIONS,
    plans,
  };
}

export function planOf(engine: RelationEngine, typeId: number, relId: number): RelationPlan | undefined {
  return engine.plans[typeId]?.[relId];
}

function toNode(
  plan: RelationPlan,
  r: Rewrite,
  lookup: (typeId: number, relation: string) => RelationPlan | undefined,
): PlanNode {
  switch (r.kind) {
    case "this":
      return { k: THIS };
    case "computed":
      return { k: COMPUTED, target: lookup(plan.typeId, r.relation)! };
    case "ttu": {
      const tupleset = lookup(plan.typeId, r.tupleset)!;
      const targets = new Map<number, RelationPlan>();
      for (const typeId of tupleset.plain.keys()) {
        const target = lookup(typeId, r.relation);
        if (target) targets.set(typeId, target);
      }
      return { k: TTU, tupleset, relation: r.relation, targets };
    }
    case "union":
    case "intersection":
      return {
        k: r.kind === "union" ? UNION : INTERSECTION,
        children: r.children.map((c) => toNode(plan, c, lookup)),
      };
    case "exclusion":
      return { k: EXCLUSION, base: toNode(plan, r.base, lookup), subtract: toNode(plan, r.subtract, lookup) };
  }
}

function grantsDirectly(node: PlanNode): boolean {
  if (node.k === THIS) return true;
  return node.k === UNION && node.children.some(grantsDirectly);
}

/** Fixed point over the relation graph: what a relation can contain is what its rewrite can reach. */
function computeReach(all: RelationPlan[], plans: RelationPlan[][]): void {
  for (const plan of all) {
    plan.reach.add(plan.typeId * REL_SLOTS + plan.relId);
    for (const t of plan.plain.keys()) plan.reach.add(t * REL_SLOTS);
    for (const t of plan.wildcard.keys()) plan.reach.add(t * REL_SLOTS);
    for (const key of plan.usersetRefs.keys()) plan.reach.add(key);
  }
  const sources = new Map<RelationPlan, RelationPlan[]>();
  for (const plan of all) {
    const from: RelationPlan[] = [];
    collectSources(plan, plan.node, from, plans);
    sources.set(plan, from);
    for (const src of from) if (!plan.inputs.includes(src)) plan.inputs.push(src);
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const plan of all) {
      for (const src of sources.get(plan)!) {
        for (const k of src.reach) {
          if (!plan.reach.has(k)) {
            plan.reach.add(k);
            changed = true;
          }
        }
      }
    }
  }
}

/** Union-only: the relation's own rewrite has no `and`/`but not`, nor has any relation it reads, transitively. */
function computeUnionOnly(all: RelationPlan[]): void {
  for (const plan of all) plan.unionOnly = nodeUnionOnly(plan.node);
  let changed = true;
  while (changed) {
    changed = false;
    for (const plan of all) {
      if (plan.unionOnly && plan.inputs.some((input) => !input.unionOnly)) {
        plan.unionOnly = false;
        changed = true;
      }
    }
  }
}

function nodeUnionOnly(node: PlanNode): boolean {
  if (node.k === UNION) return node.children.every(nodeUnionOnly);
  return node.k === THIS || node.k === COMPUTED || node.k === TTU;
}

function collectSources(
  plan: RelationPlan,
  node: PlanNode,
  out: RelationPlan[],
  plans: RelationPlan[][],
): void {
  switch (node.k) {
    case THIS:
      for (const key of plan.usersetRefs.keys()) {
        const rel = key % REL_SLOTS;
        const target = plans[(key - rel) / REL_SLOTS]?.[rel];
        if (target) out.push(target);
      }
      return;
    case COMPUTED:
      out.push(node.target);
      return;
    case TTU:
      out.push(...node.targets.values());
      return;
    case UNION:
    case INTERSECTION:
      for (const c of node.children) collectSources(plan, c, out, plans);
      return;
    case EXCLUSION:
      collectSources(plan, node.base, out, plans);
  }
}
