import type { ChangeRecord, StoredResource } from "./store";

/** A relationship tuple as stored: `document:1#reader@user:anne`, with an optional condition and expiry. */
export interface StoredTuple {
  object: string;
  relation: string;
  user: string;
  condition?: { name: string; context?: Record<string, unknown> };
  /** ISO-8601; from this instant on the tuple grants nothing (it stays stored until deleted). */
  expiresAt?: string;
}

export type TupleKey = Pick<StoredTuple, "object" | "relation" | "user">;

export interface TupleListOptions {
  /** Exact-match filters; any combination. */
  object?: string | undefined;
  relation?: string | undefined;
  user?: string | undefined;
  /** Return tuples strictly after this key (keyset pagination, ascending by object, relation, user). */
  after?: TupleKey | undefined;
  /** At most this many, 1–10000. */
  limit: number;
}

export interface TupleBatch {
  writes: StoredTuple[];
  deletes: TupleKey[];
}

export interface TupleWriteResult {
  /** The environment's revision after the batch; unchanged if the batch changed nothing. */
  revision: number;
  /** Tuples that were new or whose condition or expiry changed, in request order. */
  written: StoredTuple[];
  /** Tuples that existed and were removed, in request order. */
  deleted: StoredTuple[];
  changes: ChangeRecord[];
}

/** Reads a resource inside the batch's transaction (so a guard sees the state the batch commits over). */
export type ResourceReader = <T>(kind: string, id: string) => Promise<StoredResource<T> | undefined>;

/** The change-record kind of tuple batches. `after.tuples` holds what was written, `before.tuples` what was deleted. */
export const TUPLE_CHANGE_KIND = "tuple";

/** Relationship tuples of each environment. Every backend passes relationship-store.conformance.ts. */
export interface RelationshipStore {
  /**
   * Applies one batch in one transaction holding the environment's write lock (the lock `Store.write`
   * takes, so tuple batches and resource writes are serialised together). `guard` runs first, inside the
   * lock; if it throws, nothing is written. Idempotent: writing a tuple exactly as stored (same condition
   * and expiry) or deleting an absent one changes nothing. A written tuple that exists with another
   * condition or expiry takes the new ones. If anything changed, the revision goes up by exactly one and
   * one change record per non-empty side is recorded (kind "tuple": action "create" with
   * `after: {tuples}`, action "delete" with `before: {tuples}`). All or nothing. The caller keeps a key out
   * of both sides at once. Throws StoreConflict("NOT_FOUND") if the environment does not exist.
   */
  writeTuples(
    environmentId: string,
    actor: string,
    batch: TupleBatch,
    guard?: (read: ResourceReader) => Promise<void>,
  ): Promise<TupleWriteResult>;

  /** Tuples matching the filters, ascending by (object, relation, user), after `after`, at most `limit`. */
  listTuples(environmentId: string, options: TupleListOptions): Promise<StoredTuple[]>;

  /** The number of tuples stored for the environment. */
  countTuples(environmentId: string): Promise<number>;
}
