import type { relations } from "@tessera/sdk/core";
import { TesseraError } from "../../errors";

type EntityType = relations.SeedEntityType;
type Relation = NonNullable<EntityType["relations"]>[number];
type Action = NonNullable<EntityType["actions"]>[number];

/**
 * Edits of the seed's entity types, on a copy the caller then turns into a model with `seedToModel`. Each
 * throws NOT_FOUND / DUPLICATE_KEY as the API should answer; model-level problems (an action naming an
 * unknown relation) are left to the model compiler, which names the field.
 */
export function findEntityType(types: EntityType[], key: string): EntityType {
  const et = types.find((t) => t.key === key);
  if (!et) throw new TesseraError("NOT_FOUND", `No entity type "${key}" exists.`);
  return et;
}

export function createEntityType(types: EntityType[], et: EntityType): EntityType {
  if (types.some((t) => t.key === et.key))
    throw new TesseraError("DUPLICATE_KEY", `An entity type "${et.key}" already exists.`);
  const created: EntityType = { key: et.key, relations: et.relations ?? [], actions: et.actions ?? [] };
  types.push(created);
  return created;
}

export function deleteEntityType(types: EntityType[], key: string): void {
  const i = types.findIndex((t) => t.key === key);
  if (i < 0) throw new TesseraError("NOT_FOUND", `No entity type "${key}" exists.`);
  types.splice(i, 1);
}

/** Adds relations to an entity type, creating it if needed; a relation that exists takes the new subjects. */
export function upsertRelations(types: EntityType[], key: string, rels: Relation[]): Relation[] {
  let et = types.find((t) => t.key === key);
  if (!et) et = createEntityType(types, { key });
  et.relations ??= [];
  const list = et.relations;
  for (const rel of rels) {
    const copy = { key: rel.key, subjectEntityTypeKeys: [...rel.subjectEntityTypeKeys] };
    const i = list.findIndex((r) => r.key === rel.key);
    if (i >= 0) list[i] = copy;
    else list.push(copy);
  }
  return rels;
}

export function deleteRelation(types: EntityType[], key: string, relationKey: string): void {
  const et = findEntityType(types, key);
  const i = (et.relations ?? []).findIndex((r) => r.key === relationKey);
  if (i < 0) throw new TesseraError("NOT_FOUND", `Entity type "${key}" has no relation "${relationKey}".`);
  et.relations!.splice(i, 1);
}

/** Creates or replaces the action at `actionKey`; a different `action.key` renames it. */
export function putAction(types: EntityType[], key: string, actionKey: string, action: Action): Action {
  const et = findEntityType(types, key);
  et.actions ??= [];
  const list = et.actions;
  const copy: Action = { key: action.key, relationKeys: action.relationKeys.map((k) => structuredClone(k)) };
  const i = list.findIndex((a) => a.key === actionKey);
  if (action.key !== actionKey && list.some((a) => a.key === action.key))
    throw new TesseraError("DUPLICATE_KEY", `Entity type "${key}" already has an action "${action.key}".`);
  if (i >= 0) list[i] = copy;
  else list.push(copy);
  return copy;
}

export function deleteAction(types: EntityType[], key: string, actionKey: string): void {
  const et = findEntityType(types, key);
  const i = (et.actions ?? []).findIndex((a) => a.key === actionKey);
  if (i < 0) throw new TesseraError("NOT_FOUND", `Entity type "${key}" has no action "${actionKey}".`);
  et.actions!.splice(i, 1);
}
