import { type Change, relations, type Snapshot } from "@tessera/sdk/core";
import type { RelationshipStore, StoredTuple, TupleKey } from "../../storage/relationship-store";
import type { EnvironmentState } from "../../storage/store";
import type { SnapshotListener } from "../snapshots";
import { MODEL_KIND, type ModelRecord } from "./model-record";
import { toRelationTuple } from "./tuples";

/** How many tuples one query reads while loading an environment. */
const LOAD_CHUNK = 5_000;

/** What the relationship engine of one snapshot is made of. */
export interface IndexedRelations {
  tuples: relations.TupleStore;
  record: ModelRecord | undefined;
  model: relations.CompiledModel | undefined;
}

/**
 * Keeps `snapshot.relations` set to the engine of the environment's current model over its tuples. On
 * load it reads every tuple in chunks into a fresh in-memory index; after each write it applies tuple
 * batches to that index and rebuilds the engine when the model changes. It rides on the snapshot
 * registry, so the index moves in revision order with everything else, and a reload rebuilds it whole.
 */
export class RelationIndex implements SnapshotListener {
  private readonly bySnapshot = new WeakMap<Snapshot, IndexedRelations>();

  constructor(private readonly store: RelationshipStore) {}

  of(snapshot: Snapshot): IndexedRelations | undefined {
    return this.bySnapshot.get(snapshot);
  }

  async loaded(environmentId: string, snapshot: Snapshot, state: EnvironmentState): Promise<void> {
    const tuples = new relations.TupleStore();
    let after: TupleKey | undefined;
    for (;;) {
      const chunk: StoredTuple[] = await this.store.listTuples(environmentId, { after, limit: LOAD_CHUNK });
      tuples.write(chunk.map(toRelationTuple));
      if (chunk.length < LOAD_CHUNK) break;
      after = chunk[chunk.length - 1];
    }
    const resource = state.resources.find((r) => r.kind === MODEL_KIND);
    const indexed: IndexedRelations = { tuples, record: undefined, model: undefined };
    this.bySnapshot.set(snapshot, indexed);
    this.setModel(snapshot, indexed, resource?.data as ModelRecord | undefined);
  }

  applied(_environmentId: string, snapshot: Snapshot, changes: readonly Change[]): void {
    const indexed = this.bySnapshot.get(snapshot);
    if (!indexed) return;
    for (const change of changes) {
      const kind = change.kind as string;
      if (kind === "tuple") {
        const written = (change.after as { tuples?: StoredTuple[] } | undefined)?.tuples ?? [];
        const deleted = (change.before as { tuples?: StoredTuple[] } | undefined)?.tuples ?? [];
        if (written.length > 0) indexed.tuples.write(written.map(toRelationTuple));
        if (deleted.length > 0) indexed.tuples.delete(deleted.map(toRelationTuple));
      } else if (kind === MODEL_KIND) {
        this.setModel(snapshot, indexed, change.after as ModelRecord | undefined);
      }
    }
  }

  private setModel(snapshot: Snapshot, indexed: IndexedRelations, record: ModelRecord | undefined): void {
    indexed.record = record;
    // Stored models were compiled before they were written; one that no longer compiles leaves no engine.
    indexed.model = record ? (relations.compileModel(record.json).model ?? undefined) : undefined;
    snapshot.relations = indexed.model ? relations.createEngine(indexed.model, indexed.tuples) : undefined;
  }
}
