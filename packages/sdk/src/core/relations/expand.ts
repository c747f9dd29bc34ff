import { bucketValues } from "./bucket";
import {
  COMPUTED,
  EXCLUSION,
  INTERSECTION,
  type PlanNode,
  planOf,
  type RelationEngine,
  THIS,
  TTU,
  UNION,
} from "./engine";
import { issue, type RelationIssue } from "./errors";
import { contextualOverlay, isIssue } from "./request";
import { parseObject, type RelationTuple } from "./tuple";

/** One level of a relation's userset tree, shaped like OpenFGA's Expand response. */
export interface UsersetTree {
  name: string;
  leaf?:
    | { users: string[] }
    | { computed: string }
    | { tupleToUserset: { tupleset: string; computed: string[] } };
  union?: UsersetTree[];
  intersection?: UsersetTree[];
  difference?: { base: UsersetTree; subtract: UsersetTree };
}

export interface ExpandRequest {
  object: string;
  relation: string;
  contextualTuples?: RelationTuple[];
}

export interface ExpandResult {
  tree?: UsersetTree;
  error?: RelationIssue;
}

/**
 * The rewrite of `object#relation` with its direct tuples filled in, one level deep: usersets and arrows
 * are named, not followed (expand them in turn). Conditions and expiry are not evaluated here.
 */
export function expand(engine: RelationEngine, req: ExpandRequest): ExpandResult {
  const object = parseObject(req.object);
  if (!object || object.id === "*")
    return { error: issue("INVALID_INPUT", `invalid object '${req.object}'`, "object") };
  const type = engine.model.types.get(object.type);
  if (!type) return { error: issue("UNKNOWN_TYPE", `type '${object.type}' is not in the model`, "object") };
  if (!type.relations.has(req.relation)) {
    return {
      error: issue(
        "UNKNOWN_RELATION",
        `relation '${object.type}#${req.relation}' is not in the model`,
        "relation",
      ),
    };
  }
  const overlay = contextualOverlay(engine, req.contextualTuples);
  if (isIssue(overlay)) return { error: overlay };
  const stores = overlay ? [engine.store, overlay] : [engine.store];
  const sym = (overlay ?? engine.store).symbols;
  const s = engine.store.symbols;
  const plan = planOf(engine, s.typeId(object.type), s.relationId(req.relation))!;
  const objectId = sym.objectId(req.object);
  const name = `${req.object}#${req.relation}`;
  const build = (node: PlanNode): UsersetTree => {
    switch (node.k) {
      case THIS: {
        const users: string[] = [];
        if (objectId >= 0) {
          for (const st of stores) {
            for (const x of bucketValues(st.directOf(objectId, plan.relId))) users.push(sym.objectName(x));
            for (const subject of bucketValues(st.usersetsOf(objectId, plan.relId)))
              users.push(sym.subjectName(subject));
          }
        }
        return { name, leaf: { users: [...new Set(users)].sort() } };
      }
      case COMPUTED:
        return { name, leaf: { computed: `${req.object}#${node.target.relation}` } };
      case TTU: {
        const computed: string[] = [];
        if (objectId >= 0) {
          for (const st of stores) {
            for (const parent of bucketValues(st.directOf(objectId, node.tupleset.relId))) {
              if (node.targets.has(sym.objectType(parent)))
                computed.push(`${sym.objectName(parent)}#${node.relation}`);
            }
          }
        }
        return {
          name,
          leaf: {
            tupleToUserset: {
              tupleset: `${req.object}#${node.tupleset.relation}`,
              computed: computed.sort(),
            },
          },
        };
      }
      case UNION:
        return { name, union: node.children.map(build) };
      case INTERSECTION:
        return { name, intersection: node.children.map(build) };
      case EXCLUSION:
        return { name, difference: { base: build(node.base), subtract: build(node.subtract) } };
    }
  };
  return { tree: build(plan.node) };
}
