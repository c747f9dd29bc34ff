import { randomBytes } from "node:crypto";
import { type FieldError, TesseraError } from "../../errors";
import type { ApiKeyPatch, ApiKeyRecord, TimeWindow } from "../../storage/credential-store";
import { type Store, StoreConflict, type WriteTransaction } from "../../storage/store";
import { decodeCursor, encodeCursor } from "../catalog/cursor";
import { every, type Periodic, type PollOptions } from "../every";
import { displayOf, generateSecret, hashSecret, sameHash } from "../secrets";
import { type SnapshotRegistry, writeThrough } from "../snapshots";
import type { ApplicationService } from "./applications";
import { checkCidrs, checkTimeWindow, compileAllowList } from "./key-policy";
import { LastUsedRecorder } from "./last-used";
import { LocalWrites } from "./local-writes";
import { type IndexedKey, type KeyVerification, type KeyVerificationRequest, verifyKey } from "./verify-key";

/** Recognisable by prefix: a production key leaking into a test setup (or a log) is obvious. */
export const LIVE_KEY_PREFIX = "tsr_live_";
export const TEST_KEY_PREFIX = "tsr_test_";
export const PRODUCTION_ENVIRONMENT = "production";

const REFRESH_MS = 5_000;

export interface ApiKeyView {
  id: string;
  applicationId: string;
  tenantId: string;
  name: string | null;
  api: string;
  /** The prefix and the last four characters. */
  display: string;
  scopes: string[] | null;
  ipAllowList: string[] | null;
  timeWindow: TimeWindow | null;
  metadata: Record<string, unknown>;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  replacedBy: string | null;
}

export interface CreateApiKeyInput {
  name?: string | undefined;
  api?: string | undefined;
  scopes?: string[] | undefined;
  expiresAt?: string | undefined;
  ipAllowList?: string[] | undefined;
  timeWindow?: TimeWindow | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface UpdateApiKeyInput {
  name?: string | null | undefined;
  scopes?: string[] | null | undefined;
  expiresAt?: string | null | undefined;
  ipAllowList?: string[] | null | undefined;
  timeWindow?: TimeWindow | null | undefined;
  metadata?: Record<string, unknown> | undefined;
}

/**
 * API keys of applications: shown once, SHA-256 at rest, the last characters kept for display. Verification
 * reads an in-memory index by hash (as tokens.ts does) and notes the last use for a batched write, so the
 * request never waits on the database. Every change is a change record of kind `apiKey` (the key as the API
 * shows it) written in the same transaction; the environment's snapshot then moves to its revision.
 */
export class ApiKeyService {
  private byHash = new Map<string, IndexedKey>();
  /** This process's writes, which a refresh already reading must not undo. */
  private readonly local = new LocalWrites();
  private environmentKeys = new Map<string, string>();
  private refresher: Periodic | undefined;
  private readonly lastUsed: LastUsedRecorder;

  constructor(
    private readonly store: Store,
    private readonly snapshots: SnapshotRegistry,
    private readonly applications: ApplicationService,
  ) {
    this.lastUsed = new LastUsedRecorder(store.credentials);
  }

  async start(options: PollOptions = {}): Promise<void> {
    await this.refresh();
    this.lastUsed.start();
    if (options.poll ?? true) this.refresher = every(REFRESH_MS, "API key refresh", () => this.refresh());
  }

  async stop(): Promise<void> {
    await this.refresher?.stop();
    await this.lastUsed.stop();
  }

  async refresh(): Promise<void> {
    const refresh = this.local.begin();
    const [keys, environments] = await Promise.all([
      this.store.credentials.listAllApiKeys(),
      this.store.listEnvironments(),
    ]);
    const next = new Map(keys.map((k) => [k.keyHash, indexed(k)]));
    if (!this.local.keep(refresh, this.byHash, next)) return;
    // A revocation is for good: a list that predates it never brings the key back.
    for (const [hash, ours] of this.byHash) {
      if (ours.key.revokedAt !== null && next.get(hash)?.key.revokedAt === null) next.set(hash, ours);
    }
    this.environmentKeys = new Map(environments.map((e) => [e.id, e.key]));
    this.byHash = next;
  }

  /** Puts a key this process has just written in the index, where a refresh reading already keeps it. */
  private index(key: ApiKeyRecord): void {
    this.local.wrote(key.keyHash);
    this.byHash.set(key.keyHash, indexed(key));
  }

  /** Writes pending last-used times now (tests, shutdown). */
  flushLastUsed(): Promise<void> {
    return this.lastUsed.flush();
  }

  async create(
    environmentId: string,
    actor: string,
    applicationId: string,
    input: CreateApiKeyInput,
  ): Promise<{ apiKey: ApiKeyView; key: string }> {
    const application = await this.applications.record(environmentId, applicationId);
    if (application.revokedAt !== null) throw applicationRevoked(applicationId);
    const api = input.api ?? application.defaultApi;
    if (!api) {
      throw new TesseraError("VALIDATION_FAILED", "Name the API the key is for.", [
        { pointer: "/api", message: "required: the application has no default API" },
      ]);
    }
    const errors = await this.checkPolicies(environmentId, application.tenantId, api, input);
    if (errors.length > 0)
      throw new TesseraError("VALIDATION_FAILED", errors.map((e) => e.message).join(" "), errors);
    const { record, secret } = await this.newKey(environmentId, application.id, application.tenantId, api, {
      name: input.name ?? null,
      scopes: input.scopes ?? null,
      ipAllowList: input.ipAllowList ?? null,
      timeWindow: input.timeWindow ?? null,
      metadata: input.metadata ?? {},
      expiresAt: input.expiresAt ?? null,
    });
    const created = await this.write(environmentId, actor, async (tx) => {
      // The revoke check again, on a read inside the transaction: the environment's write lock, which a
      // revoke takes too, makes it current. A revoke that committed since the read above would otherwise
      // leave this key live on a revoked application (a revoke revokes only the keys it finds).
      const current = await tx.credentials.getApplication(environmentId, applicationId);
      if (!current) throw new TesseraError("NOT_FOUND", `No application "${applicationId}" exists.`);
      if (current.revokedAt !== null) throw applicationRevoked(applicationId);
      const created = await tx.credentials.createApiKey(record);
      recordKey(tx, "create", undefined, created);
      return created;
    });
    this.index(created);
    return { apiKey: apiKeyView(created), key: secret };
  }

  async list(
    environmentId: string,
    applicationId: string,
    query: { cursor?: string | undefined; limit?: number | undefined },
  ): Promise<{ items: ApiKeyView[]; nextCursor?: string }> {
    await this.applications.record(environmentId, applicationId);
    const limit = query.limit ?? 100;
    // A cursor belongs to the keys of one application: another's (or any other list's) is refused, not
    // taken as an id to list after.
    const list = `apiKey?applicationId=${applicationId}`;
    const after = query.cursor === undefined ? undefined : decodeCursor(list, query.cursor);
    const rows = await this.store.credentials.listApiKeys(environmentId, applicationId, {
      after,
      limit: limit + 1,
    });
    const page: { items: ApiKeyView[]; nextCursor?: string } = {
      items: rows.slice(0, limit).map(apiKeyView),
    };
    if (rows.length > limit) page.nextCursor = encodeCursor(list, rows[limit - 1]!.id);
    return page;
  }

  async get(environmentId: string, applicationId: string, id: string): Promise<ApiKeyView> {
    return apiKeyView(await this.record(environmentId, applicationId, id));
  }

  async update(
    environmentId: string,
    actor: string,
    applicationId: string,
    id: string,
    input: UpdateApiKeyInput,
  ): Promise<ApiKeyView> {
    const current = await this.record(environmentId, applicationId, id);
    if (current.revokedAt !== null) throw keyRevoked(id);
    refuseReplacedChange(current, input);
    const errors = await this.checkPolicies(environmentId, current.tenantId, current.api, {
      scopes: input.scopes ?? undefined,
      ipAllowList: input.ipAllowList ?? undefined,
      timeWindow: input.timeWindow ?? undefined,
    });
    if (errors.length > 0)
      throw new TesseraError("VALIDATION_FAILED", errors.map((e) => e.message).join(" "), errors);
    const patch: ApiKeyPatch = {};
    if (input.name !== undefined) patch.name = input.name;
    if (input.scopes !== undefined) patch.scopes = input.scopes;
    if (input.expiresAt !== undefined) patch.expiresAt = input.expiresAt;
    if (input.ipAllowList !== undefined) patch.ipAllowList = input.ipAllowList;
    if (input.timeWindow !== undefined) patch.timeWindow = input.timeWindow;
    if (input.metadata !== undefined) patch.metadata = input.metadata;
    const updated = await this.write(environmentId, actor, async (tx) => {
      // Again inside the transaction (current, see `create`): a revoke or a rotation may have committed
      // since.
      const before = await tx.credentials.getApiKey(environmentId, id);
      if (!before) throw notFound(id);
      if (before.revokedAt !== null) throw keyRevoked(id);
      refuseReplacedChange(before, input);
      const after = await tx.credentials.updateApiKey(environmentId, id, patch);
      if (!after) throw notFound(id);
      recordKey(tx, "update", before, after);
      return after;
    });
    this.index(updated);
    return apiKeyView(updated);
  }

  /** Idempotent: revoking a revoked key changes (and records) nothing. */
  async revoke(environmentId: string, actor: string, applicationId: string, id: string): Promise<ApiKeyView> {
    const revoked = await this.write(environmentId, actor, async (tx) => {
      const before = await tx.credentials.getApiKey(environmentId, id);
      if (!before || before.applicationId !== applicationId) throw notFound(id);
      const after = await tx.credentials.revokeApiKey(environmentId, id);
      if (!after) throw notFound(id);
      if (before.revokedAt === null) recordKey(tx, "update", before, after);
      return after;
    });
    this.index(revoked);
    return apiKeyView(revoked);
  }

  /**
   * A new key with the same settings; the old one keeps working for `gracePeriodSeconds`, then expires. A key
   * is rotated once: one already replaced (a retried rotation, say), revoked or expired is refused with
   * INVALID_STATE, so a retry never makes a second replacement, and never one that inherits the old key's
   * grace expiry as its own.
   */
  async rotate(
    environmentId: string,
    actor: string,
    applicationId: string,
    id: string,
    gracePeriodSeconds: number,
  ): Promise<{ apiKey: ApiKeyView; key: string; previous: ApiKeyView }> {
    const current = await this.record(environmentId, applicationId, id);
    refuseRotation(current);
    // The secret and id are made here (newKey reads the environment outside the transaction); the settings
    // are taken again from the key as the transaction reads it, below.
    const { record, secret } = await this.newKey(
      environmentId,
      applicationId,
      current.tenantId,
      current.api,
      {
        name: current.name,
        scopes: current.scopes,
        ipAllowList: current.ipAllowList,
        timeWindow: current.timeWindow,
        metadata: current.metadata,
        expiresAt: current.expiresAt,
      },
    );
    const { old, next } = await this.write(environmentId, actor, async (tx) => {
      // Checked on a read inside the transaction: the environment's write lock, which every rotation and
      // revoke takes too, makes it current, so of concurrent rotations of one key exactly one succeeds.
      const before = await tx.credentials.getApiKey(environmentId, id);
      if (!before || before.applicationId !== applicationId) throw notFound(id);
      refuseRotation(before);
      const rotated = await tx.credentials.rotateApiKey(
        environmentId,
        id,
        {
          ...record,
          name: before.name,
          scopes: before.scopes,
          ipAllowList: before.ipAllowList,
          timeWindow: before.timeWindow,
          metadata: before.metadata,
          // The key's own expiry (one the user set, or none): a key not yet replaced has no grace expiry.
          expiresAt: before.expiresAt,
        },
        new Date(Date.now() + gracePeriodSeconds * 1000),
      );
      recordKey(tx, "create", undefined, rotated.next);
      recordKey(tx, "update", before, rotated.old);
      return rotated;
    });
    this.index(old);
    this.index(next);
    return { apiKey: apiKeyView(next), key: secret, previous: apiKeyView(old) };
  }

  /** Answers from memory. Keys of other environments are NOT_FOUND: a gateway sees only its own. */
  async verify(
    environmentId: string,
    secret: string,
    request: KeyVerificationRequest,
  ): Promise<KeyVerification> {
    const hash = hashSecret(secret);
    const entry = this.byHash.get(hash);
    // The map lookup finds the candidate; the constant-time compare is what accepts it.
    if (!entry || !sameHash(entry.key.keyHash, hash) || entry.key.environmentId !== environmentId) {
      return { valid: false, code: "NOT_FOUND" };
    }
    const snapshot = this.snapshots.current(environmentId) ?? (await this.snapshots.get(environmentId));
    const application = this.applications.cached(entry.key.applicationId);
    const result = verifyKey(
      entry,
      application,
      snapshot,
      this.environmentKeys.get(environmentId) ?? "",
      request,
    );
    if (result.code !== "NOT_FOUND") this.lastUsed.note(entry.key.id, new Date());
    return result;
  }

  /** A store write whose change records the environment's snapshot then holds, as a catalog write's. */
  private write<T>(
    environmentId: string,
    actor: string,
    work: (tx: WriteTransaction) => Promise<T>,
  ): Promise<T> {
    return writeThrough(this.store, this.snapshots, environmentId, actor, work).catch(conflict);
  }

  private async record(environmentId: string, applicationId: string, id: string): Promise<ApiKeyRecord> {
    const key = await this.store.credentials.getApiKey(environmentId, id);
    if (!key || key.applicationId !== applicationId) throw notFound(id);
    return key;
  }

  private async newKey(
    environmentId: string,
    applicationId: string,
    tenantId: string,
    api: string,
    settings: Pick<ApiKeyRecord, "name" | "scopes" | "ipAllowList" | "timeWindow" | "metadata" | "expiresAt">,
  ) {
    const environment = await this.store.getEnvironment(environmentId);
    if (!environment) throw new TesseraError("NOT_FOUND", `No environment "${environmentId}" exists.`);
    this.environmentKeys.set(environment.id, environment.key);
    const prefix = environment.key === PRODUCTION_ENVIRONMENT ? LIVE_KEY_PREFIX : TEST_KEY_PREFIX;
    const secret = generateSecret(prefix);
    const record = {
      id: `key_${randomBytes(16).toString("hex")}`,
      environmentId,
      applicationId,
      tenantId,
      api,
      keyHash: hashSecret(secret),
      display: displayOf(secret, prefix),
      ...settings,
    };
    return { record, secret };
  }

  /** A narrowing must stay inside what the tenant is entitled to now; policies must parse. */
  private async checkPolicies(
    environmentId: string,
    tenantId: string,
    api: string,
    input: Pick<CreateApiKeyInput, "scopes" | "ipAllowList" | "timeWindow">,
  ): Promise<FieldError[]> {
    const snapshot = await this.snapshots.get(environmentId);
    if (!snapshot.catalog.apis.has(api)) {
      throw new TesseraError("REFERENCE_NOT_FOUND", `No API "${api}" exists.`, [
        { pointer: "/api", message: `No API "${api}" exists.`, code: "REFERENCE_NOT_FOUND" },
      ]);
    }
    const errors: FieldError[] = [];
    if (input.scopes) {
      const entitled = new Set(snapshot.entitledScopes(tenantId, api));
      input.scopes.forEach((scope, i) => {
        if (!entitled.has(scope)) {
          errors.push({
            pointer: `/scopes/${i}`,
            message: `The tenant "${tenantId}" is not entitled to "${scope}" of "${api}".`,
          });
        }
      });
    }
    if (input.ipAllowList) errors.push(...checkCidrs(input.ipAllowList, "/ipAllowList"));
    if (input.timeWindow) errors.push(...checkTimeWindow(input.timeWindow, "/timeWindow"));
    return errors;
  }
}

function indexed(key: ApiKeyRecord): IndexedKey {
  return { key, allowList: key.ipAllowList ? compileAllowList(key.ipAllowList) : undefined };
}

/** A key as the API shows it, and its change records hold: without its hash. */
export function apiKeyView({ keyHash: _, environmentId: __, ...key }: ApiKeyRecord): ApiKeyView {
  return key;
}

function recordKey(
  tx: WriteTransaction,
  action: "create" | "update",
  before: ApiKeyRecord | undefined,
  after: ApiKeyRecord,
): void {
  tx.record({
    kind: "apiKey",
    resourceId: after.id,
    action,
    before: before && apiKeyView(before),
    after: apiKeyView(after),
  });
}

/** Only a live key that has not been replaced yet is rotated. */
function refuseRotation(key: ApiKeyRecord, at = Date.now()): void {
  if (key.revokedAt !== null) throw keyRevoked(key.id);
  if (key.replacedBy !== null) {
    throw new TesseraError(
      "INVALID_STATE",
      `The API key "${key.id}" has already been rotated: its replacement is "${key.replacedBy}".`,
    );
  }
  if (key.expiresAt !== null && Date.parse(key.expiresAt) <= at) {
    throw new TesseraError("INVALID_STATE", `The API key "${key.id}" has expired.`);
  }
}

/**
 * A replaced key is on its way out: its grace period may be ended sooner (an `expiresAt` no later than the
 * one it has), nothing else, as a revoked key takes no change at all. Removing or extending its expiry
 * would bring a rotated-out key back, valid beside its replacement for as long as anyone liked.
 */
function refuseReplacedChange(key: ApiKeyRecord, input: UpdateApiKeyInput): void {
  if (key.replacedBy === null) return;
  const errors: FieldError[] = [];
  for (const [field, value] of Object.entries(input)) {
    if (field !== "expiresAt" && value !== undefined) {
      errors.push({ pointer: `/${field}`, message: "a replaced key's settings are not changed" });
    }
  }
  const { expiresAt } = input;
  if (expiresAt === undefined && errors.length === 0) {
    errors.push({ pointer: "/expiresAt", message: "required: only an earlier expiry is taken" });
  } else if (expiresAt === null) {
    errors.push({ pointer: "/expiresAt", message: "a replaced key keeps an expiry" });
  } else if (
    expiresAt !== undefined &&
    key.expiresAt !== null &&
    Date.parse(expiresAt) > Date.parse(key.expiresAt)
  ) {
    errors.push({ pointer: "/expiresAt", message: `must not be later than ${key.expiresAt}` });
  }
  if (errors.length === 0) return;
  throw new TesseraError(
    "INVALID_STATE",
    `The API key "${key.id}" was replaced by "${key.replacedBy}": only its expiry may be brought earlier.`,
    errors,
  );
}

function keyRevoked(id: string): TesseraError {
  return new TesseraError("INVALID_STATE", `The API key "${id}" is revoked.`);
}

function applicationRevoked(id: string): TesseraError {
  return new TesseraError("INVALID_STATE", `The application "${id}" is revoked.`);
}

function notFound(id: string): TesseraError {
  return new TesseraError("NOT_FOUND", `No API key "${id}" exists for this application.`);
}

function conflict(error: unknown): never {
  if (error instanceof StoreConflict) throw new TesseraError(error.code, error.message);
  throw error;
}
