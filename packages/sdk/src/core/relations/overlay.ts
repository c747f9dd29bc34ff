import type { RelationEngine } from "./engine";
import type { RelationTuple } from "./tuple";
import { TupleStore } from "./tuple-store";

/** A per-request store over the engine's store: new names get ids of their own, so the shared store is not touched. */
export function createEngineOverlay(engine: RelationEngine, tuples: readonly RelationTuple[]): TupleStore {
  const overlay = new TupleStore(engine.store);
  overlay.write(tuples);
  return overlay;
}
