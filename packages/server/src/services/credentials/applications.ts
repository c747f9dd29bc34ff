import { randomBytes, randomUUID } from "node:crypto";
import { type FieldError, TesseraError } from "../../errors";
import type {
  ApiKeyRecord,
  ApplicationPatch,
  ApplicationRecord,
  ClientSecretRecord,
  CredentialStore,
} from "../../storage/credential-store";
import { type Store, StoreConflict, type WriteTransaction } from "../../storage/store";
import { decodeCursor, encodeCursor } from "../catalog/cursor";
import { every, type Periodic, type PollOptions } from "../every";
import { displayOf, generateSecret, hashSecret, sameHash } from "../secrets";
import { type SnapshotRegistry, writeThrough } from "../snapshots";
import { apiKeyView } from "./api-keys";
import { LocalWrites } from "./local-writes";

export const CLIENT_SECRET_PREFIX = "tsr_cs_";
/** Tokens live at most a day: it bounds how long a rotated signing key stays in the JWKS. */
export const MAX_TOKEN_TTL_SECONDS = 86_400;
export const DEFAULT_TOKEN_TTL_SECONDS = 900;

/** How often the client index is re-read, so other processes' changes arrive. */
const REFRESH_MS = 5_000;

export interface ApplicationView {
  id: string;
  clientId: string;
  environmentId: string;
  tenantId: string;
  name: string;
  api: string | null;
  tokenTtlSeconds: number;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  revokedAt: string | null;
  secrets?: { id: string; display: string; createdAt: string; expiresAt: string | null }[];
}

export interface CreateApplicationInput {
  tenantId: string;
  name: string;
  api?: string | undefined;
  tokenTtlSeconds?: number | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface UpdateApplicationInput {
  name?: string | undefined;
  api?: string | null | undefined;
  tokenTtlSeconds?: number | null | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export type ClientAuthentication =
  | { valid: true; application: ApplicationRecord }
  | { valid: false; code: "UNKNOWN_CLIENT" | "BAD_SECRET" | "APPLICATION_REVOKED" };

interface ClientEntry {
  application: ApplicationRecord;
  secrets: ClientSecretRecord[];
}

/**
 * Applications (API consumers of a tenant) and their OAuth2 client credentials. The client_id is the
 * application's id, unique across environments; secrets are shown once and kept as SHA-256 hashes.
 * Authentication reads an in-memory index (as tokens.ts does): this process's writes update it at once,
 * other processes' arrive within a refresh. Every change is a change record (kind `application`, and
 * `apiKey` for the keys a revocation revokes) written in the same transaction; the environment's snapshot
 * then moves to its revision, as after a catalog write.
 */
export class ApplicationService {
  private clients = new Map<string, ClientEntry>();
  private refresher: Periodic | undefined;
  /** This process's writes, which a refresh already reading must not undo. */
  private readonly local = new LocalWrites();

  constructor(
    private readonly store: Store,
    private readonly snapshots: SnapshotRegistry,
  ) {}

  async start(options: PollOptions = {}): Promise<void> {
    await this.refresh();
    if (options.poll ?? true) {
      this.refresher = every(REFRESH_MS, "application refresh", () => this.refresh());
    }
  }

  /** Resolves once a refresh still going has finished. */
  async stop(): Promise<void> {
    await this.refresher?.stop();
  }

  async refresh(): Promise<void> {
    const refresh = this.local.begin();
    const [applications, secrets] = await Promise.all([
      this.store.credentials.listAllApplications(),
      this.store.credentials.listClientSecrets(),
    ]);
    const clients = new Map<string, ClientEntry>(
      applications.map((a) => [a.id, { application: a, secrets: [] }]),
    );
    for (const s of secrets) clients.get(s.applicationId)?.secrets.push(s);
    if (!this.local.keep(refresh, this.clients, clients)) return;
    // A revocation is for good: lists that predate it never bring the application back.
    for (const [id, ours] of this.clients) {
      const listed = clients.get(id);
      if (ours.application.revokedAt !== null && listed && listed.application.revokedAt === null)
        listed.application = ours.application;
    }
    this.clients = clients;
  }

  async create(
    environmentId: string,
    actor: string,
    input: CreateApplicationInput,
  ): Promise<{ application: ApplicationView; clientSecret: string }> {
    const id = `app_${randomBytes(16).toString("hex")}`;
    const secret = generateSecret(CLIENT_SECRET_PREFIX);
    const secretRecord = {
      id: `cs_${randomUUID().replaceAll("-", "")}`,
      secretHash: hashSecret(secret),
      display: displayOf(secret, CLIENT_SECRET_PREFIX),
      expiresAt: null,
    };
    const { application, secrets } = await this.write(environmentId, actor, async (tx) => {
      // Checked here, not on the snapshot: a tenant delete (which refuses while the tenant has live
      // applications) may have committed since the snapshot was taken, on this server or another, and an
      // application made now would outlive its tenant and pass to the next tenant given its id.
      await checkReferences(tx, input.tenantId, input.api);
      const created = await tx.credentials.createApplication(
        {
          id,
          environmentId,
          tenantId: input.tenantId,
          name: input.name,
          defaultApi: input.api ?? null,
          tokenTtlSeconds: input.tokenTtlSeconds ?? null,
          metadata: input.metadata ?? {},
        },
        secretRecord,
      );
      const secrets = [{ ...secretRecord, applicationId: id, createdAt: created.createdAt }];
      recordApplication(tx, "create", undefined, view(created, secrets));
      return { application: created, secrets };
    });
    this.setClient({ application, secrets });
    return { application: view(application, secrets), clientSecret: secret };
  }

  async list(
    environmentId: string,
    query: { cursor?: string | undefined; limit?: number | undefined; tenantId?: string | undefined },
  ): Promise<{ items: ApplicationView[]; nextCursor?: string }> {
    const limit = query.limit ?? 100;
    // The list a cursor belongs to, with its filter (which changes what follows an id), as the catalog's.
    const list = query.tenantId === undefined ? "application" : `application?tenantId=${query.tenantId}`;
    const after = query.cursor === undefined ? undefined : decodeCursor(list, query.cursor);
    const rows = await this.store.credentials.listApplications(environmentId, {
      after,
      limit: limit + 1,
      tenantId: query.tenantId,
    });
    const page: { items: ApplicationView[]; nextCursor?: string } = {
      items: rows.slice(0, limit).map((a) => view(a)),
    };
    if (rows.length > limit) page.nextCursor = encodeCursor(list, rows[limit - 1]!.id);
    return page;
  }

  async get(environmentId: string, id: string): Promise<ApplicationView> {
    const application = await this.record(environmentId, id);
    return view(application, await this.store.credentials.listClientSecrets(id));
  }

  /** The stored application, or NOT_FOUND. */
  async record(environmentId: string, id: string): Promise<ApplicationRecord> {
    const application = await this.store.credentials.getApplication(environmentId, id);
    if (!application) throw new TesseraError("NOT_FOUND", `No application "${id}" exists.`);
    return application;
  }

  async update(
    environmentId: string,
    actor: string,
    id: string,
    input: UpdateApplicationInput,
  ): Promise<ApplicationView> {
    const patch: ApplicationPatch = {};
    if (input.name !== undefined) patch.name = input.name;
    if (input.api !== undefined) patch.defaultApi = input.api;
    if (input.tokenTtlSeconds !== undefined) patch.tokenTtlSeconds = input.tokenTtlSeconds;
    if (input.metadata !== undefined) patch.metadata = input.metadata;
    const updated = await this.write(environmentId, actor, async (tx) => {
      // Checked on this read, inside the transaction: a revoke that committed after a read made before it
      // would otherwise be followed by this update (see checkReferences).
      const before = await tx.credentials.getApplication(environmentId, id);
      if (!before) throw new TesseraError("NOT_FOUND", `No application "${id}" exists.`);
      if (before.revokedAt !== null) throw revoked(id);
      if (input.api) await checkReferences(tx, undefined, input.api);
      const after = await tx.credentials.updateApplication(environmentId, id, patch);
      if (!after) throw new TesseraError("NOT_FOUND", `No application "${id}" exists.`);
      recordApplication(tx, "update", view(before), view(after));
      return after;
    });
    this.setApplication(updated);
    return this.get(environmentId, id);
  }

  /**
   * Revokes the application and its API keys: no new token or key check succeeds from now on. Idempotent:
   * revoking it again changes (and records) nothing.
   */
  async revoke(environmentId: string, actor: string, id: string): Promise<ApplicationView> {
    const application = await this.write(environmentId, actor, async (tx) => {
      const before = await tx.credentials.getApplication(environmentId, id);
      if (!before) throw new TesseraError("NOT_FOUND", `No application "${id}" exists.`);
      const liveKeys = (await allApiKeys(tx.credentials, environmentId, id)).filter(
        (k) => k.revokedAt === null,
      );
      const after = (await tx.credentials.revokeApplication(environmentId, id))!;
      if (before.revokedAt === null) recordApplication(tx, "update", view(before), view(after));
      if (liveKeys.length > 0) {
        const revoked = new Map((await allApiKeys(tx.credentials, environmentId, id)).map((k) => [k.id, k]));
        for (const key of liveKeys) {
          tx.record({
            kind: "apiKey",
            resourceId: key.id,
            action: "update",
            before: apiKeyView(key),
            after: apiKeyView(revoked.get(key.id)!),
          });
        }
      }
      return after;
    });
    this.setApplication(application);
    return view(application);
  }

  /** A new secret, shown once; the others stay valid for `gracePeriodSeconds`, then stop. */
  async rotateSecret(
    environmentId: string,
    actor: string,
    id: string,
    gracePeriodSeconds: number,
  ): Promise<{ application: ApplicationView; clientSecret: string }> {
    const secret = generateSecret(CLIENT_SECRET_PREFIX);
    const { current, secrets } = await this.write(environmentId, actor, async (tx) => {
      const current = await tx.credentials.getApplication(environmentId, id);
      if (!current) throw new TesseraError("NOT_FOUND", `No application "${id}" exists.`);
      if (current.revokedAt !== null) throw revoked(id);
      const before = await tx.credentials.listClientSecrets(id);
      await tx.credentials.rotateClientSecret(
        id,
        {
          id: `cs_${randomUUID().replaceAll("-", "")}`,
          secretHash: hashSecret(secret),
          display: displayOf(secret, CLIENT_SECRET_PREFIX),
        },
        new Date(Date.now() + gracePeriodSeconds * 1000),
      );
      const secrets = await tx.credentials.listClientSecrets(id);
      // The application as GET shows it, with its secrets: the one added, the others' new expiry.
      recordApplication(tx, "update", view(current, before), view(current, secrets));
      return { current, secrets };
    });
    this.setClient({ application: current, secrets });
    return { application: view(current, secrets), clientSecret: secret };
  }

  /** Checks client credentials against the index. Every unexpired secret is compared, in constant time. */
  authenticate(clientId: string, secret: string, at = Date.now()): ClientAuthentication {
    const entry = this.clients.get(clientId);
    const hash = hashSecret(secret);
    if (!entry) return { valid: false, code: "UNKNOWN_CLIENT" };
    let matched = false;
    for (const s of entry.secrets) {
      const live = s.expiresAt === null || Date.parse(s.expiresAt) > at;
      if (sameHash(s.secretHash, hash) && live) matched = true;
    }
    if (!matched) return { valid: false, code: "BAD_SECRET" };
    if (entry.application.revokedAt !== null) return { valid: false, code: "APPLICATION_REVOKED" };
    return { valid: true, application: entry.application };
  }

  /** From the index: what token checks read, never waiting on the database. */
  cached(id: string): ApplicationRecord | undefined {
    return this.clients.get(id)?.application;
  }

  /** A store write whose change records the environment's snapshot then holds, as a catalog write's. */
  private write<T>(
    environmentId: string,
    actor: string,
    work: (tx: WriteTransaction) => Promise<T>,
  ): Promise<T> {
    return writeThrough(this.store, this.snapshots, environmentId, actor, work).catch(conflict);
  }

  /** This process's own writes reach the index at once, not at the next refresh. */
  private setApplication(application: ApplicationRecord): void {
    const entry = this.clients.get(application.id);
    this.setClient({ application, secrets: entry?.secrets ?? [] });
  }

  /** Puts an application this process has just written in the index, where a refresh reading keeps it. */
  private setClient(entry: ClientEntry): void {
    this.local.wrote(entry.application.id);
    this.clients.set(entry.application.id, entry);
  }
}

/**
 * The tenant and the API an application names must exist. Read in the write transaction: it holds the
 * environment's write lock, which every write of the environment takes first (a tenant's delete and an
 * application's revoke included), so under read committed these reads see every write committed before it
 * and none can commit until this one has. That makes them current reads, as good as a row lock here.
 */
async function checkReferences(
  tx: WriteTransaction,
  tenantId: string | undefined,
  api: string | null | undefined,
): Promise<void> {
  const errors: FieldError[] = [];
  if (tenantId !== undefined && !(await tx.get("tenant", tenantId))) {
    errors.push({
      pointer: "/tenantId",
      message: `No tenant "${tenantId}" exists.`,
      code: "REFERENCE_NOT_FOUND",
    });
  }
  if (api && !(await tx.get("api", api))) {
    errors.push({ pointer: "/api", message: `No API "${api}" exists.`, code: "REFERENCE_NOT_FOUND" });
  }
  if (errors.length > 0) {
    throw new TesseraError("REFERENCE_NOT_FOUND", errors.map((e) => e.message).join(" "), errors);
  }
}

function recordApplication(
  tx: WriteTransaction,
  action: "create" | "update",
  before: ApplicationView | undefined,
  after: ApplicationView,
): void {
  tx.record({ kind: "application", resourceId: after.id, action, before, after });
}

/** Every key of an application, revoked ones included. */
async function allApiKeys(
  credentials: CredentialStore,
  environmentId: string,
  applicationId: string,
): Promise<ApiKeyRecord[]> {
  const keys: ApiKeyRecord[] = [];
  for (;;) {
    const page = await credentials.listApiKeys(environmentId, applicationId, {
      after: keys.at(-1)?.id,
      limit: 1000,
    });
    keys.push(...page);
    if (page.length < 1000) return keys;
  }
}

function view(application: ApplicationRecord, secrets?: ClientSecretRecord[]): ApplicationView {
  const result: ApplicationView = {
    id: application.id,
    clientId: application.id,
    environmentId: application.environmentId,
    tenantId: application.tenantId,
    name: application.name,
    api: application.defaultApi,
    tokenTtlSeconds: application.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
    metadata: application.metadata,
    createdAt: application.createdAt,
    updatedAt: application.updatedAt,
    revokedAt: application.revokedAt,
  };
  if (secrets) {
    result.secrets = secrets.map((s) => ({
      id: s.id,
      display: s.display,
      createdAt: s.createdAt,
      expiresAt: s.expiresAt,
    }));
  }
  return result;
}

function revoked(id: string): TesseraError {
  return new TesseraError("INVALID_STATE", `The application "${id}" is revoked.`);
}

function conflict(error: unknown): never {
  if (error instanceof StoreConflict) throw new TesseraError(error.code, error.message);
  throw error;
}
