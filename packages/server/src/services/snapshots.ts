import { type Change, type EnvironmentState, type ResourceKind, Snapshot } from "@tessera/sdk/core";
import type {
  ChangeRecord,
  Store,
  StoredResource,
  EnvironmentState as StoredState,
  WriteTransaction,
} from "../storage/store";
import { every, type Periodic, reportBackgroundFailure } from "./every";

/**
 * Keeps state derived beside a snapshot (the relationship engine) in step with it. `loaded` runs after a
 * snapshot is compiled from the database and before anyone sees it; `applied` runs after each write's
 * changes are applied, in revision order.
 */
export interface SnapshotListener {
  loaded(environmentId: string, snapshot: Snapshot, state: StoredState): Promise<void>;
  applied(environmentId: string, snapshot: Snapshot, changes: readonly Change[]): void;
}

interface Entry {
  snapshot: Snapshot | undefined;
  loading: Promise<Snapshot> | undefined;
  /** Writes that committed ahead of an earlier one still in flight, by revision. */
  pending: Map<number, Change[]>;
  waiters: { revision: number; resolve: () => void }[];
  gapTimer: ReturnType<typeof setTimeout> | undefined;
  /** Loads that failed since the last one that succeeded. */
  failedLoads: number;
  /** The unreadable records already reported (see reportUnreadable), so that each is reported once. */
  reportedUnreadable: Set<string>;
}

/** How many of an environment's unreadable records a warning names; it counts the rest. */
const NAMED_UNREADABLE = 5;

/**
 * Records that grant nothing because a stored time of theirs cannot be read (Snapshot.unreadableRecords):
 * the environment still loads, and whoever runs the server hears which records to correct.
 */
function reportUnreadable(environmentId: string, records: readonly string[]): void {
  if (records.length === 0) return;
  const named = records.slice(0, NAMED_UNREADABLE).join("; ");
  const more = records.length > NAMED_UNREADABLE ? `; and ${records.length - NAMED_UNREADABLE} more` : "";
  process.emitWarning(
    `environment ${environmentId}: ${records.length} record(s) grant nothing until their stored times are ` +
      `corrected (Date.parse cannot read them): ${named}${more}`,
    { code: "TESSERA_UNREADABLE_TIME" },
  );
}

/** How long a gap in revisions may last before we stop waiting for it and reload from the database. */
const GAP_RELOAD_MS = 1_000;

/**
 * After this many loads in a row have failed, writes waiting for the snapshot to hold them are answered
 * anyway (see `release`). One or two failures are a blip that the next retry absorbs, and the writer then
 * sees its write in the next decision as usual.
 */
const RELEASE_AFTER_FAILED_LOADS = 3;

/** How often a server on a database other servers write too reads the changes they made (`follow`). */
export const FOLLOW_MS = 1_000;

/** Change records read per environment and turn; a turn that finds more reloads the snapshot instead. */
const FOLLOW_PAGE = 1_000;

/**
 * Tells the other servers on the same database that a write committed, and tells this one of theirs: a
 * shortcut past `follow`'s poll (RedisChangeNotifier in change-notifier.ts). Best effort by contract: a
 * message lost, or the channel down, costs only the wait for the poll.
 */
export interface ChangeNotifier {
  /** Announces a committed write. Never throws and never waits: a failure is the notifier's to report. */
  publish(environmentId: string, revision: number): void;
  /** Calls `onChange` for each write another server announces; this server's own are not repeated to it. */
  subscribe(onChange: (environmentId: string, revision: number) => void): void;
  close(): Promise<void>;
}

export interface SnapshotRegistryOptions {
  /** The wait before a reload that a gap or a failure calls for (GAP_RELOAD_MS); tests shorten it. */
  reloadDelayMs?: number;
  /**
   * Announces the writes applied here and hears of the others' (see ChangeNotifier). The registry uses it
   * but does not own it: whoever made it closes it.
   */
  notifier?: ChangeNotifier;
}

/**
 * The compiled snapshot of each environment, kept in step with every write. Writes are applied strictly in
 * revision order, so two writes that commit close together can never be applied the wrong way round; a gap
 * (a write made by another process) that does not fill soon triggers a reload from the database, which is
 * the source of truth.
 */
export class SnapshotRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners: SnapshotListener[] = [];

  private readonly reloadDelayMs: number;
  private readonly notifier: ChangeNotifier | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    options: SnapshotRegistryOptions = {},
  ) {
    this.reloadDelayMs = options.reloadDelayMs ?? GAP_RELOAD_MS;
    this.notifier = options.notifier;
    this.notifier?.subscribe((environmentId, revision) => this.notified(environmentId, revision));
  }

  /**
   * The entry the decision path read last. Entries are never removed, and a server's traffic is nearly
   * always for one environment: a comparison then stands in for a hash lookup in a cold table.
   */
  private lastId: string | undefined;
  private lastEntry: Entry | undefined;

  /** The snapshot if it is loaded: the decision path's synchronous read. */
  current(environmentId: string): Snapshot | undefined {
    if (environmentId === this.lastId) return this.lastEntry!.snapshot;
    const entry = this.entries.get(environmentId);
    if (entry === undefined) return undefined;
    this.lastId = environmentId;
    this.lastEntry = entry;
    return entry.snapshot;
  }

  async get(environmentId: string): Promise<Snapshot> {
    const entry = this.entry(environmentId);
    if (entry.snapshot) return entry.snapshot;
    entry.loading ??= this.load(environmentId, entry);
    return entry.loading;
  }

  /**
   * Applies a committed write and resolves once the snapshot contains it, or once the snapshot has failed to
   * load RELEASE_AFTER_FAILED_LOADS times in a row. It never rejects: the write is in the database whatever
   * happens here, and an error would have its client retry a write that already took effect.
   */
  async applyWrite(environmentId: string, revision: number, changes: ChangeRecord[]): Promise<void> {
    if (changes.length === 0) return;
    this.announce(environmentId, revision);
    const entry = this.entry(environmentId);
    entry.pending.set(revision, changes.map(toChange));
    if (!entry.snapshot) {
      // Never loaded (or its first load failed): a load from the database holds this write.
      if (!entry.loading) {
        entry.loading = this.load(environmentId, entry);
        entry.loading.catch((error: unknown) =>
          reportBackgroundFailure(`snapshot load of environment ${environmentId} failed`, error),
        );
      }
    } else if (!entry.loading) {
      // While a reload reads the database, writes only queue: applied to the old snapshot they would be
      // lost when the new one replaces it. The reload drains the queue, and this call returns once it has.
      this.drain(environmentId, entry);
      if (entry.snapshot.revision >= revision) return;
    }
    await new Promise<void>((resolve) => entry.waiters.push({ revision, resolve }));
  }

  /** Drops and reloads an environment's snapshot from the database. */
  async reload(environmentId: string): Promise<Snapshot> {
    const entry = this.entry(environmentId);
    // One load at a time: a second one finishing first would let the first replace a newer snapshot.
    entry.loading ??= this.load(environmentId, entry);
    return entry.loading;
  }

  /** Registers a listener; snapshots loaded before it was registered are not replayed to it. */
  listen(listener: SnapshotListener): void {
    this.listeners.push(listener);
  }

  private follower: Periodic | undefined;

  /**
   * Follows the writes of other servers on the same database: every `ms`, each loaded snapshot takes the
   * change records committed after its revision, in revision order, as if this server had made them. Without
   * it a server saw another's writes only when a write of its own revealed a gap in the revisions, and a
   * server that took no writes answered from the state it started with.
   */
  follow(ms = FOLLOW_MS): void {
    this.follower ??= every(ms, "reading other servers' writes", () => this.catchUp());
  }

  /**
   * One turn of `follow`: applies what other servers committed since each loaded snapshot's revision, or
   * since one environment's only.
   */
  async catchUp(environmentId?: string): Promise<void> {
    if (environmentId !== undefined) {
      const entry = this.entries.get(environmentId);
      if (entry !== undefined) await this.catchUpEntry(environmentId, entry);
      return;
    }
    for (const [id, entry] of this.entries) await this.catchUpEntry(id, entry);
  }

  private async catchUpEntry(environmentId: string, entry: Entry): Promise<void> {
    const snapshot = entry.snapshot;
    if (snapshot === undefined || entry.loading !== undefined) return;
    const records = await this.store.listChanges(environmentId, {
      afterRevision: snapshot.revision,
      limit: FOLLOW_PAGE,
    });
    if (records.length === 0) return;
    if (records.length === FOLLOW_PAGE) {
      // A page may end inside a revision; after this much change a reload is as cheap anyway.
      await this.reload(environmentId);
      return;
    }
    const byRevision = new Map<number, ChangeRecord[]>();
    for (const record of records) {
      const list = byRevision.get(record.revision);
      if (list) list.push(record);
      else byRevision.set(record.revision, [record]);
    }
    for (const [revision, changes] of byRevision) entry.pending.set(revision, changes.map(toChange));
    // A reload may have started while the records were read: it drains the queue itself.
    if (entry.loading === undefined) this.drain(environmentId, entry);
  }

  /** Tells the other servers of a write, whatever the notifier does: the write is committed regardless. */
  private announce(environmentId: string, revision: number): void {
    if (this.notifier === undefined) return;
    try {
      this.notifier.publish(environmentId, revision);
    } catch (error) {
      reportBackgroundFailure(
        `announcing revision ${revision} of environment ${environmentId} failed`,
        error,
      );
    }
  }

  /**
   * Environments being caught up on a notification, each with whether another came in meanwhile; a burst of
   * notifications costs one read of the change records while one runs, and one more after it.
   */
  private readonly notifiedCatchUps = new Map<string, boolean>();

  /** Another server announced a write: read it now rather than at the poll's next turn. */
  private notified(environmentId: string, revision: number): void {
    if (this.closed) return;
    const snapshot = this.entries.get(environmentId)?.snapshot;
    // Not loaded here (its first load reads the write), or already holding the write.
    if (snapshot === undefined || snapshot.revision >= revision) return;
    if (this.notifiedCatchUps.has(environmentId)) {
      this.notifiedCatchUps.set(environmentId, true);
      return;
    }
    const run = async () => {
      try {
        do {
          this.notifiedCatchUps.set(environmentId, false);
          await this.catchUp(environmentId);
        } while (this.notifiedCatchUps.get(environmentId) && !this.closed);
      } finally {
        this.notifiedCatchUps.delete(environmentId);
      }
    };
    run().catch((error: unknown) =>
      reportBackgroundFailure(
        `reading another server's write to environment ${environmentId} on its notification failed; the poll retries`,
        error,
      ),
    );
  }

  /** Stops following other servers and the reload timers; resolves once a read of the change log in flight ends. */
  async close(): Promise<void> {
    this.closed = true;
    const following = this.follower?.stop();
    this.follower = undefined;
    for (const entry of this.entries.values()) clearTimeout(entry.gapTimer);
    await following;
  }

  private entry(environmentId: string): Entry {
    let entry = this.entries.get(environmentId);
    if (!entry) {
      entry = {
        snapshot: undefined,
        loading: undefined,
        pending: new Map(),
        waiters: [],
        gapTimer: undefined,
        failedLoads: 0,
        reportedUnreadable: new Set(),
      };
      this.entries.set(environmentId, entry);
    }
    return entry;
  }

  private async load(environmentId: string, entry: Entry): Promise<Snapshot> {
    let snapshot: Snapshot;
    try {
      const state = await this.store.loadState(environmentId);
      snapshot = Snapshot.compile(toEnvironmentState(state.revision, state.resources));
      const unreadable = snapshot.unreadableRecords();
      reportUnreadable(environmentId, unreadable);
      entry.reportedUnreadable = new Set(unreadable);
      for (const listener of this.listeners) await listener.loaded(environmentId, snapshot, state);
    } catch (error) {
      // A failed load must not stick: the next call loads afresh, and writes already queued behind this
      // load (their requests waiting) get a retry of their own. The old snapshot, if any, keeps answering.
      entry.loading = undefined;
      entry.failedLoads++;
      if (entry.failedLoads >= RELEASE_AFTER_FAILED_LOADS) this.release(environmentId, entry, error);
      if (entry.pending.size > 0 || entry.waiters.length > 0) this.reloadSoon(environmentId, entry);
      throw error;
    }
    entry.snapshot = snapshot;
    entry.loading = undefined;
    entry.failedLoads = 0;
    this.drain(environmentId, entry);
    return entry.snapshot;
  }

  /**
   * Answers the writes still waiting for a snapshot that keeps failing to load (the database unreachable,
   * a listener that fails). Their requests would otherwise hang until a load succeeds, and a client that
   * gives up retries a write that already took effect. Their changes stay queued and the reloads go on;
   * until one succeeds, decisions here do not see these writes, which the warning says.
   */
  private release(environmentId: string, entry: Entry, error: unknown): void {
    const waiters = entry.waiters;
    if (waiters.length === 0) return;
    entry.waiters = [];
    for (const waiter of waiters) waiter.resolve();
    const reason = error instanceof Error ? error.message : String(error);
    process.emitWarning(
      `environment ${environmentId}: ${waiters.length} committed write(s) answered before this server's ` +
        `snapshot holds them, after ${entry.failedLoads} failed loads in a row (last: ${reason}); ` +
        `decisions here see them once a reload succeeds, retried every ${this.reloadDelayMs} ms`,
      { code: "TESSERA_SNAPSHOT_BEHIND" },
    );
  }

  /** A reload in a moment, in the background; one that fails is reported and, while writes wait, retried. */
  private reloadSoon(environmentId: string, entry: Entry, delayMs = this.reloadDelayMs): void {
    clearTimeout(entry.gapTimer);
    entry.gapTimer = setTimeout(() => {
      this.reload(environmentId).catch((error: unknown) =>
        reportBackgroundFailure(`snapshot reload of environment ${environmentId} failed`, error),
      );
    }, delayMs);
    entry.gapTimer.unref?.();
  }

  private drain(environmentId: string, entry: Entry): void {
    const snapshot = entry.snapshot!;
    for (const revision of entry.pending.keys())
      if (revision <= snapshot.revision) entry.pending.delete(revision);
    for (
      let next = entry.pending.get(snapshot.revision + 1);
      next;
      next = entry.pending.get(snapshot.revision + 1)
    ) {
      const revision = snapshot.revision + 1;
      entry.pending.delete(revision);
      try {
        snapshot.apply(next, revision);
        for (const listener of this.listeners) listener.applied(environmentId, snapshot, next);
      } catch (error) {
        // The snapshot (or what a listener keeps beside it) may now hold part of this write: reload it from
        // the database, which holds all of it, at once rather than answer from it a moment longer. Its
        // writers wait for that reload, as for a gap; later writes queue behind the missing revision.
        reportBackgroundFailure(
          `applying revision ${revision} to the snapshot of environment ${environmentId} failed; reloading it`,
          error,
        );
        this.reloadSoon(environmentId, entry, 0);
        return;
      }
    }
    // Another server's write, read from the change log, may hold what the API refuses now (a time written
    // by an older version, or by hand): reported as a load reports it.
    const unreadable = snapshot.unreadableRecords().filter((r) => !entry.reportedUnreadable.has(r));
    for (const record of unreadable) entry.reportedUnreadable.add(record);
    reportUnreadable(environmentId, unreadable);
    entry.waiters = entry.waiters.filter((w) => {
      if (w.revision > snapshot.revision) return true;
      w.resolve();
      return false;
    });
    clearTimeout(entry.gapTimer);
    entry.gapTimer = undefined;
    if (entry.pending.size > 0) this.reloadSoon(environmentId, entry);
  }
}

function toChange(record: ChangeRecord): Change {
  return { kind: record.kind as ResourceKind, before: record.before, after: record.after };
}

export function toEnvironmentState(revision: number, resources: StoredResource[]): EnvironmentState {
  const state: EnvironmentState = {
    revision,
    features: [],
    permissions: [],
    roles: [],
    plans: [],
    flags: [],
    routes: [],
    apis: [],
    tenants: [],
    users: [],
    memberships: [],
    subscriptions: [],
    grants: [],
  };
  const lists: Record<ResourceKind, unknown[]> = {
    feature: state.features,
    permission: state.permissions,
    role: state.roles,
    plan: state.plans,
    flag: state.flags,
    route: state.routes,
    api: state.apis!,
    tenant: state.tenants,
    user: state.users,
    membership: state.memberships,
    subscription: state.subscriptions,
    grant: state.grants,
  };
  for (const resource of resources) lists[resource.kind as ResourceKind]?.push(resource.data);
  return state;
}

/**
 * A store write whose change records the environment's snapshot then holds: answered once this server's
 * snapshot has applied them, so its next decision sees the write (see SnapshotRegistry.applyWrite). Without
 * a registry (the CLI), the write alone; running servers follow it from the change log.
 */
export async function writeThrough<T>(
  store: Store,
  snapshots: SnapshotRegistry | undefined,
  environmentId: string,
  actor: string,
  work: (tx: WriteTransaction) => Promise<T>,
): Promise<T> {
  const result = await store.write(environmentId, actor, work);
  await snapshots?.applyWrite(environmentId, result.revision, result.changes);
  return result.value;
}
