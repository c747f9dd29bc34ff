import type { CredentialStore } from "./credential-store";
import type { RelationshipStore } from "./relationship-store";

/**
 * The storage interface. Every backend (PGlite, PostgreSQL) implements it and passes the one conformance
 * suite in store.conformance.ts. The contract of each method is written on it; caches wrap a Store, they
 * never subclass one.
 */

export type TokenKind = "management" | "server";
/** `admin`: environments and tokens; `manage`: the catalog and subjects; `decide`: the decision API. */
export type TokenRight = "admin" | "manage" | "decide";

export interface Environment {
  id: string;
  key: string;
  name: string;
  revision: number;
  createdAt: string;
}

export interface TokenRecord {
  id: string;
  environmentId: string;
  name: string;
  kind: TokenKind;
  rights: TokenRight[];
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  tokenHash: string;
  /** A non-secret hint for lists: the prefix and the last four characters. */
  display: string;
  createdAt: string;
  revokedAt: string | null;
  /** When the token stops working (ISO 8601); null for never. */
  expiresAt: string | null;
}

export interface StoredResource<T = unknown> {
  kind: string;
  id: string;
  data: T;
  createdAt: string;
  updatedAt: string;
}

export interface ChangeRecord {
  environmentId: string;
  revision: number;
  /** Position of the change within its revision (one write may change several resources). */
  seq: number;
  kind: string;
  resourceId: string;
  action: "create" | "update" | "delete";
  /** Who made the change: a token id, `cli`, `system`. */
  actor: string;
  before: unknown;
  after: unknown;
  at: string;
}

export interface ListOptions {
  /** Return ids strictly after this one (keyset pagination, ascending by id). */
  after?: string | undefined;
  /** At most this many, 1–1000. */
  limit: number;
  /** Only resources whose `data.tenantId` equals this. */
  tenantId?: string | undefined;
}

export interface ChangeListOptions {
  afterRevision?: number | undefined;
  /** Only the changes of this one revision. */
  atRevision?: number | undefined;
  limit: number;
  kind?: string | undefined;
  resourceId?: string | undefined;
}

/** Fields of a resource's document that lookups may filter on (each has an index where it matters). */
export type IndexedField = "tenantId" | "userId" | "externalKey" | "planKey";

/** The reads and writes of one write transaction, on one environment. */
export interface WriteTransaction {
  /** The environment this write is in. */
  readonly environmentId: string;
  get<T>(kind: string, id: string): Promise<StoredResource<T> | undefined>;
  /** Every resource of `kind`, ascending by id. Meant for the catalog kinds, which are small. */
  list<T>(kind: string): Promise<StoredResource<T>[]>;
  /** Every resource of `kind` whose `data[field]` equals `value`, ascending by id. */
  findBy<T>(kind: string, field: IndexedField, value: string): Promise<StoredResource<T>[]>;
  /** Throws StoreConflict("DUPLICATE_KEY") if (kind, id) exists or a unique index refuses the data. */
  create<T>(kind: string, id: string, data: T): Promise<StoredResource<T>>;
  /** Replaces the document. Throws StoreConflict("NOT_FOUND") if it does not exist. */
  update<T>(kind: string, id: string, data: T): Promise<StoredResource<T>>;
  /** Removes and returns the resource, or undefined if there was none (not an error: deletes are idempotent). */
  delete<T>(kind: string, id: string): Promise<StoredResource<T> | undefined>;

  /**
   * Records a change to something that is not a resource (a token, an application, an API key, a signing
   * key) as the resource methods record theirs: it gets this write's revision and actor, and commits or
   * rolls back with it. `before` and `after` are what the API shows, never a secret or a secret's hash.
   */
  record(change: OtherChange): void;
  /** The environment's token, or undefined, read in this transaction. */
  getToken(id: string): Promise<TokenRecord | undefined>;
  /** Store.createToken, in this transaction and environment. Records nothing: see `record`. */
  createToken(token: Omit<TokenRecord, "environmentId" | "createdAt" | "revokedAt">): Promise<TokenRecord>;
  /** Store.revokeToken, in this transaction and environment. Records nothing: see `record`. */
  revokeToken(id: string): Promise<TokenRecord | undefined>;
  /**
   * The credential store inside this transaction: what it writes commits or rolls back with the write (its
   * own "one transaction" methods join this one). Records nothing: see `record`.
   */
  readonly credentials: CredentialStore;
}

/** A change `WriteTransaction.record` records: the rest (revision, seq, actor, time) comes from the write. */
export type OtherChange = Pick<ChangeRecord, "kind" | "resourceId" | "action" | "before" | "after">;

export interface WriteResult<T> {
  value: T;
  /** The environment's revision after the write; unchanged if the write changed nothing. */
  revision: number;
  changes: ChangeRecord[];
}

export interface EnvironmentState {
  revision: number;
  resources: StoredResource[];
}

export interface Store {
  readonly backend: "pglite" | "postgres";
  readonly relationships: RelationshipStore;
  readonly credentials: CredentialStore;

  /** Creates an environment at revision 0. Throws StoreConflict("DUPLICATE_KEY") if the key is taken. */
  createEnvironment(input: { id: string; key: string; name: string }): Promise<Environment>;
  /** All environments, oldest first. */
  listEnvironments(): Promise<Environment[]>;
  /** By id or by key; undefined if neither matches. */
  getEnvironment(idOrKey: string): Promise<Environment | undefined>;

  /** Stores a token. Its hash is unique across all environments. */
  createToken(token: Omit<TokenRecord, "createdAt" | "revokedAt">): Promise<TokenRecord>;
  /** Tokens of one environment (or all), oldest first, revoked ones included. */
  listTokens(environmentId?: string): Promise<TokenRecord[]>;
  /** Marks a token revoked (idempotent: a second revoke keeps the first time). Undefined if no such token. */
  revokeToken(environmentId: string, id: string): Promise<TokenRecord | undefined>;

  getResource<T>(environmentId: string, kind: string, id: string): Promise<StoredResource<T> | undefined>;
  /** Resources of one kind, ascending by id, after `after`, at most `limit`. */
  listResources<T>(environmentId: string, kind: string, options: ListOptions): Promise<StoredResource<T>[]>;
  /** Every resource of the environment and the revision they make up, read in one consistent transaction. */
  loadState(environmentId: string): Promise<EnvironmentState>;

  /**
   * Runs `work` in one transaction that holds the environment's write lock: writes to one environment are
   * serialised, so the checks `work` makes (references exist, keys are free) still hold at commit. Every
   * create, update and delete is recorded as a change; if there is any, the environment's revision goes up
   * by exactly one and every change carries it (so does every change `tx.record` records: credentials
   * written through `tx` share the transaction). All or nothing: if `work` throws, nothing is written.
   * Throws StoreConflict("NOT_FOUND") if the environment does not exist.
   */
  write<T>(
    environmentId: string,
    actor: string,
    work: (tx: WriteTransaction) => Promise<T>,
  ): Promise<WriteResult<T>>;

  /** Change records, ascending by (revision, seq). */
  listChanges(environmentId: string, options: ChangeListOptions): Promise<ChangeRecord[]>;

  close(): Promise<void>;
}

/** A write the store refused for a reason the caller can explain to a user. */
export class StoreConflict extends Error {
  constructor(
    readonly code: "DUPLICATE_KEY" | "NOT_FOUND",
    message: string,
  ) {
    super(message);
    this.name = "StoreConflict";
  }
}
