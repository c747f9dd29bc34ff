import { type Kysely, type Selectable, sql, type Transaction } from "kysely";
import type { CredentialStore } from "./credential-store";
import { type DatabaseOptions, migrate, openDatabase } from "./database";
import { lockEnvironment } from "./environment-lock";
import { KyselyCredentialStore } from "./kysely-credential-store";
import { KyselyRelationshipStore } from "./kysely-relationship-store";
import type { RelationshipStore } from "./relationship-store";
import { iso, toChange } from "./rows";
import type { Database, EnvironmentsTable, ResourcesTable, TokensTable } from "./schema";
import {
  type ChangeListOptions,
  type ChangeRecord,
  type Environment,
  type EnvironmentState,
  type IndexedField,
  type ListOptions,
  type OtherChange,
  type Store,
  StoreConflict,
  type StoredResource,
  type TokenRecord,
  type WriteResult,
  type WriteTransaction,
} from "./store";

const UNIQUE_VIOLATION = "23505";

/** The Store over Kysely: the same SQL on PGlite and PostgreSQL. */
export class KyselyStore implements Store {
  private constructor(
    private readonly db: Kysely<Database>,
    readonly backend: "pglite" | "postgres",
    private readonly closeDatabase: () => Promise<void>,
  ) {
    this.relationships = new KyselyRelationshipStore(db);
    this.credentials = new KyselyCredentialStore(db);
  }

  readonly relationships: RelationshipStore;
  readonly credentials: CredentialStore;

  /** Opens the database and brings its schema up to date. */
  static async open(options: DatabaseOptions): Promise<KyselyStore> {
    const { db, backend, close } = await openDatabase(options);
    try {
      await migrate(db, options.schema);
    } catch (error) {
      await close();
      throw error;
    }
    return new KyselyStore(db, backend, close);
  }

  async createEnvironment(input: { id: string; key: string; name: string }): Promise<Environment> {
    try {
      const row = await this.db
        .insertInto("environments")
        .values(input)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toEnvironment(row);
    } catch (error) {
      throw asConflict(error, `An environment with key "${input.key}" already exists.`);
    }
  }

  async listEnvironments(): Promise<Environment[]> {
    const rows = await this.db
      .selectFrom("environments")
      .selectAll()
      .orderBy("created_at")
      .orderBy("key")
      .execute();
    return rows.map(toEnvironment);
  }

  async getEnvironment(idOrKey: string): Promise<Environment | undefined> {
    const row = await this.db
      .selectFrom("environments")
      .selectAll()
      .where((eb) => eb.or([eb("id", "=", idOrKey), eb("key", "=", idOrKey)]))
      .executeTakeFirst();
    return row ? toEnvironment(row) : undefined;
  }

  createToken(token: Omit<TokenRecord, "createdAt" | "revokedAt">): Promise<TokenRecord> {
    return insertToken(this.db, token);
  }

  async listTokens(environmentId?: string): Promise<TokenRecord[]> {
    let query = this.db.selectFrom("tokens").selectAll();
    if (environmentId !== undefined) query = query.where("environment_id", "=", environmentId);
    const rows = await query.orderBy("created_at").orderBy("id").execute();
    return rows.map(toToken);
  }

  revokeToken(environmentId: string, id: string): Promise<TokenRecord | undefined> {
    return markTokenRevoked(this.db, environmentId, id);
  }

  async getResource<T>(
    environmentId: string,
    kind: string,
    id: string,
  ): Promise<StoredResource<T> | undefined> {
    const row = await this.db
      .selectFrom("resources")
      .selectAll()
      .where("environment_id", "=", environmentId)
      .where("kind", "=", kind)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toResource<T>(row) : undefined;
  }

  async listResources<T>(
    environmentId: string,
    kind: string,
    options: ListOptions,
  ): Promise<StoredResource<T>[]> {
    let query = this.db
      .selectFrom("resources")
      .selectAll()
      .where("environment_id", "=", environmentId)
      .where("kind", "=", kind);
    if (options.after !== undefined) query = query.where("id", ">", options.after);
    if (options.tenantId !== undefined) query = query.where(sql`data->>'tenantId'`, "=", options.tenantId);
    const rows = await query.orderBy("id").limit(options.limit).execute();
    return rows.map((row) => toResource<T>(row));
  }

  async loadState(environmentId: string): Promise<EnvironmentState> {
    // Repeatable read: the revision and the rows come from the same instant, even while writes go on.
    return this.db
      .transaction()
      .setIsolationLevel("repeatable read")
      .execute(async (trx) => {
        const env = await trx
          .selectFrom("environments")
          .select("revision")
          .where("id", "=", environmentId)
          .executeTakeFirst();
        if (!env) throw new StoreConflict("NOT_FOUND", `Environment ${environmentId} does not exist.`);
        const rows = await trx
          .selectFrom("resources")
          .selectAll()
          .where("environment_id", "=", environmentId)
          .orderBy("kind")
          .orderBy("id")
          .execute();
        return { revision: env.revision, resources: rows.map((row) => toResource(row)) };
      });
  }

  async write<T>(
    environmentId: string,
    actor: string,
    work: (tx: WriteTransaction) => Promise<T>,
  ): Promise<WriteResult<T>> {
    try {
      return await this.writeTransaction(environmentId, actor, work);
    } catch (error) {
      // A unique index (say, a subscription's external key) refused the data: the caller's fault, not ours.
      throw asConflict(error, "A unique key of the data is already taken.");
    }
  }

  private writeTransaction<T>(
    environmentId: string,
    actor: string,
    work: (tx: WriteTransaction) => Promise<T>,
  ): Promise<WriteResult<T>> {
    return this.db.transaction().execute(async (trx) => {
      // The row lock serialises writers of this environment until commit.
      const current = await lockEnvironment(trx, environmentId);
      const revision = current + 1;
      const pending: Omit<ChangeRecord, "at">[] = [];
      const record = (
        kind: string,
        resourceId: string,
        action: ChangeRecord["action"],
        before: unknown,
        after: unknown,
      ) =>
        pending.push({
          environmentId,
          revision,
          seq: pending.length,
          kind,
          resourceId,
          action,
          actor,
          before,
          after,
        });
      const tx = new KyselyWriteTransaction(trx, environmentId, record, new KyselyCredentialStore(trx));
      const value = await work(tx);
      if (pending.length === 0) return { value, revision: current, changes: [] };

      await trx.updateTable("environments").set({ revision }).where("id", "=", environmentId).execute();
      const rows = await trx
        .insertInto("changes")
        .values(
          pending.map((c) => ({
            environment_id: c.environmentId,
            revision: c.revision,
            seq: c.seq,
            kind: c.kind,
            resource_id: c.resourceId,
            action: c.action,
            actor: c.actor,
            before: c.before === undefined ? null : JSON.stringify(c.before),
            after: c.after === undefined ? null : JSON.stringify(c.after),
          })),
        )
        .returningAll()
        .execute();
      return { value, revision, changes: rows.map(toChange) };
    });
  }

  async listChanges(environmentId: string, options: ChangeListOptions): Promise<ChangeRecord[]> {
    let query = this.db.selectFrom("changes").selectAll().where("environment_id", "=", environmentId);
    if (options.afterRevision !== undefined) query = query.where("revision", ">", options.afterRevision);
    if (options.atRevision !== undefined) query = query.where("revision", "=", options.atRevision);
    if (options.kind !== undefined) query = query.where("kind", "=", options.kind);
    if (options.resourceId !== undefined) query = query.where("resource_id", "=", options.resourceId);
    const rows = await query.orderBy("revision").orderBy("seq").limit(options.limit).execute();
    return rows.map(toChange);
  }

  async close(): Promise<void> {
    await this.closeDatabase();
  }
}

class KyselyWriteTransaction implements WriteTransaction {
  constructor(
    private readonly trx: Transaction<Database>,
    readonly environmentId: string,
    private readonly recordChange: (
      kind: string,
      id: string,
      action: ChangeRecord["action"],
      before: unknown,
      after: unknown,
    ) => void,
    readonly credentials: CredentialStore,
  ) {}

  record(change: OtherChange): void {
    this.recordChange(change.kind, change.resourceId, change.action, change.before, change.after);
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const row = await this.trx
      .selectFrom("tokens")
      .selectAll()
      .where("environment_id", "=", this.environmentId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toToken(row) : undefined;
  }

  createToken(token: Omit<TokenRecord, "environmentId" | "createdAt" | "revokedAt">): Promise<TokenRecord> {
    return insertToken(this.trx, { ...token, environmentId: this.environmentId });
  }

  revokeToken(id: string): Promise<TokenRecord | undefined> {
    return markTokenRevoked(this.trx, this.environmentId, id);
  }

  async get<T>(kind: string, id: string): Promise<StoredResource<T> | undefined> {
    const row = await this.trx
      .selectFrom("resources")
      .selectAll()
      .where("environment_id", "=", this.environmentId)
      .where("kind", "=", kind)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toResource<T>(row) : undefined;
  }

  async list<T>(kind: string): Promise<StoredResource<T>[]> {
    const rows = await this.trx
      .selectFrom("resources")
      .selectAll()
      .where("environment_id", "=", this.environmentId)
      .where("kind", "=", kind)
      .orderBy("id")
      .execute();
    return rows.map((row) => toResource<T>(row));
  }

  async findBy<T>(kind: string, field: IndexedField, value: string): Promise<StoredResource<T>[]> {
    const rows = await this.trx
      .selectFrom("resources")
      .selectAll()
      .where("environment_id", "=", this.environmentId)
      .where("kind", "=", kind)
      .where(sql`data->>${sql.lit(field)}`, "=", value)
      .orderBy("id")
      .execute();
    return rows.map((row) => toResource<T>(row));
  }

  async create<T>(kind: string, id: string, data: T): Promise<StoredResource<T>> {
    const inserted = await this.trx
      .insertInto("resources")
      .values({ environment_id: this.environmentId, kind, id, data: JSON.stringify(data) })
      .onConflict((oc) => oc.columns(["environment_id", "kind", "id"]).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) throw new StoreConflict("DUPLICATE_KEY", `A ${kind} with id "${id}" already exists.`);
    const resource = toResource<T>(inserted);
    this.recordChange(kind, id, "create", undefined, resource.data);
    return resource;
  }

  async update<T>(kind: string, id: string, data: T): Promise<StoredResource<T>> {
    const before = await this.get<T>(kind, id);
    if (!before) throw new StoreConflict("NOT_FOUND", `No ${kind} has the id "${id}".`);
    const row = await this.trx
      .updateTable("resources")
      .set({ data: JSON.stringify(data), updated_at: sql<Date>`now()` })
      .where("environment_id", "=", this.environmentId)
      .where("kind", "=", kind)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const resource = toResource<T>(row);
    this.recordChange(kind, id, "update", before.data, resource.data);
    return resource;
  }

  async delete<T>(kind: string, id: string): Promise<StoredResource<T> | undefined> {
    const row = await this.trx
      .deleteFrom("resources")
      .where("environment_id", "=", this.environmentId)
      .where("kind", "=", kind)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    const resource = toResource<T>(row);
    this.recordChange(kind, id, "delete", resource.data, undefined);
    return resource;
  }
}

async function insertToken(
  db: Kysely<Database>,
  token: Omit<TokenRecord, "createdAt" | "revokedAt">,
): Promise<TokenRecord> {
  const row = await db
    .insertInto("tokens")
    .values({
      id: token.id,
      environment_id: token.environmentId,
      name: token.name,
      kind: token.kind,
      rights: JSON.stringify(token.rights),
      token_hash: token.tokenHash,
      display: token.display,
      revoked_at: null,
      last_used_at: null,
      expires_at: token.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toToken(row);
}

async function markTokenRevoked(
  db: Kysely<Database>,
  environmentId: string,
  id: string,
): Promise<TokenRecord | undefined> {
  const row = await db
    .updateTable("tokens")
    .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
    .where("environment_id", "=", environmentId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
  return row ? toToken(row) : undefined;
}

function toEnvironment(row: Selectable<EnvironmentsTable>): Environment {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    revision: Number(row.revision),
    createdAt: iso(row.created_at)!,
  };
}

function toToken(row: Selectable<TokensTable>): TokenRecord {
  return {
    id: row.id,
    environmentId: row.environment_id,
    name: row.name,
    kind: row.kind as TokenRecord["kind"],
    rights: row.rights as TokenRecord["rights"],
    tokenHash: row.token_hash,
    display: row.display,
    createdAt: iso(row.created_at)!,
    revokedAt: iso(row.revoked_at),
    expiresAt: iso(row.expires_at),
  };
}

function toResource<T>(row: Selectable<ResourcesTable>): StoredResource<T> {
  return {
    kind: row.kind,
    id: row.id,
    data: row.data as T,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

function asConflict(error: unknown, message: string): unknown {
  return (error as { code?: string }).code === UNIQUE_VIOLATION
    ? new StoreConflict("DUPLICATE_KEY", message)
    : error;
}
