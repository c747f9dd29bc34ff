import { type Kysely, type Selectable, sql, type Transaction } from "kysely";
import type {
  ApiKeyPatch,
  ApiKeyRecord,
  ApplicationPatch,
  ApplicationRecord,
  ClientSecretRecord,
  CredentialPage,
  CredentialStore,
  SigningKeyRecord,
} from "./credential-store";
import { iso } from "./rows";
import type {
  ApiKeysTable,
  ApplicationsTable,
  ClientSecretsTable,
  Database,
  SigningKeysTable,
} from "./schema";
import { StoreConflict } from "./store";

const UNIQUE_VIOLATION = "23505";
const FOREIGN_KEY_VIOLATION = "23503";

type NewApiKey = Omit<ApiKeyRecord, "createdAt" | "updatedAt" | "revokedAt" | "lastUsedAt" | "replacedBy">;

/**
 * The CredentialStore over Kysely: the same SQL on PGlite and PostgreSQL. Over a transaction (a Store
 * write's `tx.credentials`) every method runs in it, and those that take a transaction of their own join it.
 */
export class KyselyCredentialStore implements CredentialStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** One transaction: a new one, or the one this store runs in (Kysely does not nest them). */
  private atomically<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this.db as Transaction<Database>);
    return this.db.transaction().execute(work);
  }

  async createApplication(
    app: Omit<ApplicationRecord, "createdAt" | "updatedAt" | "revokedAt">,
    secret: Omit<ClientSecretRecord, "createdAt" | "applicationId">,
  ): Promise<ApplicationRecord> {
    try {
      return await this.atomically(async (trx) => {
        const row = await trx
          .insertInto("applications")
          .values({
            id: app.id,
            environment_id: app.environmentId,
            tenant_id: app.tenantId,
            name: app.name,
            default_api: app.defaultApi,
            token_ttl_seconds: app.tokenTtlSeconds,
            metadata: JSON.stringify(app.metadata),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx
          .insertInto("client_secrets")
          .values({
            id: secret.id,
            application_id: app.id,
            secret_hash: secret.secretHash,
            display: secret.display,
            expires_at: secret.expiresAt,
          })
          .execute();
        return toApplication(row);
      });
    } catch (error) {
      throw asConflict(error, `The application "${app.id}" or its secret already exists.`);
    }
  }

  async getApplication(environmentId: string, id: string): Promise<ApplicationRecord | undefined> {
    const row = await this.db
      .selectFrom("applications")
      .selectAll()
      .where("environment_id", "=", environmentId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toApplication(row) : undefined;
  }

  async listApplications(
    environmentId: string,
    page: CredentialPage & { tenantId?: string | undefined },
  ): Promise<ApplicationRecord[]> {
    let query = this.db.selectFrom("applications").selectAll().where("environment_id", "=", environmentId);
    if (page.tenantId !== undefined) query = query.where("tenant_id", "=", page.tenantId);
    if (page.after !== undefined) query = query.where("id", ">", page.after);
    const rows = await query.orderBy("id").limit(page.limit).execute();
    return rows.map(toApplication);
  }

  async listAllApplications(): Promise<ApplicationRecord[]> {
    const rows = await this.db.selectFrom("applications").selectAll().orderBy("id").execute();
    return rows.map(toApplication);
  }

  async updateApplication(
    environmentId: string,
    id: string,
    patch: ApplicationPatch,
  ): Promise<ApplicationRecord | undefined> {
    const row = await this.db
      .updateTable("applications")
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.defaultApi !== undefined ? { default_api: patch.defaultApi } : {}),
        ...(patch.tokenTtlSeconds !== undefined ? { token_ttl_seconds: patch.tokenTtlSeconds } : {}),
        ...(patch.metadata !== undefined ? { metadata: JSON.stringify(patch.metadata) } : {}),
        updated_at: sql<Date>`now()`,
      })
      .where("environment_id", "=", environmentId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    return row ? toApplication(row) : undefined;
  }

  async revokeApplication(environmentId: string, id: string): Promise<ApplicationRecord | undefined> {
    return this.atomically(async (trx) => {
      const row = await trx
        .updateTable("applications")
        .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())`, updated_at: sql<Date>`now()` })
        .where("environment_id", "=", environmentId)
        .where("id", "=", id)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await trx
        .updateTable("api_keys")
        .set({ revoked_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
        .where("application_id", "=", id)
        .where("revoked_at", "is", null)
        .execute();
      return toApplication(row);
    });
  }

  async listClientSecrets(applicationId?: string): Promise<ClientSecretRecord[]> {
    let query = this.db.selectFrom("client_secrets").selectAll();
    if (applicationId !== undefined) query = query.where("application_id", "=", applicationId);
    const rows = await query.orderBy("created_at").orderBy("id").execute();
    return rows.map(toClientSecret);
  }

  async rotateClientSecret(
    applicationId: string,
    secret: Omit<ClientSecretRecord, "createdAt" | "applicationId" | "expiresAt">,
    othersExpireAt: Date,
  ): Promise<ClientSecretRecord> {
    try {
      return await this.atomically(async (trx) => {
        const app = await trx
          .selectFrom("applications")
          .select("id")
          .where("id", "=", applicationId)
          .forUpdate()
          .executeTakeFirst();
        if (!app) throw new StoreConflict("NOT_FOUND", `No application "${applicationId}" exists.`);
        await trx
          .updateTable("client_secrets")
          .set({ expires_at: othersExpireAt })
          .where("application_id", "=", applicationId)
          .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", othersExpireAt)]))
          .execute();
        const row = await trx
          .insertInto("client_secrets")
          .values({
            id: secret.id,
            application_id: applicationId,
            secret_hash: secret.secretHash,
            display: secret.display,
            expires_at: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toClientSecret(row);
      });
    } catch (error) {
      throw asConflict(error, "The secret already exists.");
    }
  }

  async createApiKey(key: NewApiKey): Promise<ApiKeyRecord> {
    try {
      const row = await this.db
        .insertInto("api_keys")
        .values(apiKeyRow(key))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toApiKey(row);
    } catch (error) {
      throw asConflict(error, `The API key "${key.id}" already exists.`);
    }
  }

  async getApiKey(environmentId: string, id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db
      .selectFrom("api_keys")
      .selectAll()
      .where("environment_id", "=", environmentId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toApiKey(row) : undefined;
  }

  async listApiKeys(
    environmentId: string,
    applicationId: string,
    page: CredentialPage,
  ): Promise<ApiKeyRecord[]> {
    let query = this.db
      .selectFrom("api_keys")
      .selectAll()
      .where("environment_id", "=", environmentId)
      .where("application_id", "=", applicationId);
    if (page.after !== undefined) query = query.where("id", ">", page.after);
    const rows = await query.orderBy("id").limit(page.limit).execute();
    return rows.map(toApiKey);
  }

  async listAllApiKeys(): Promise<ApiKeyRecord[]> {
    const rows = await this.db.selectFrom("api_keys").selectAll().orderBy("id").execute();
    return rows.map(toApiKey);
  }

  async updateApiKey(
    environmentId: string,
    id: string,
    patch: ApiKeyPatch,
  ): Promise<ApiKeyRecord | undefined> {
    const json = (value: unknown) => (value === null ? null : JSON.stringify(value));
    const row = await this.db
      .updateTable("api_keys")
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.scopes !== undefined ? { scopes: json(patch.scopes) } : {}),
        ...(patch.ipAllowList !== undefined ? { ip_allow_list: json(patch.ipAllowList) } : {}),
        ...(patch.timeWindow !== undefined ? { time_window: json(patch.timeWindow) } : {}),
        ...(patch.metadata !== undefined ? { metadata: JSON.stringify(patch.metadata) } : {}),
        ...(patch.expiresAt !== undefined ? { expires_at: patch.expiresAt } : {}),
        updated_at: sql<Date>`now()`,
      })
      .where("environment_id", "=", environmentId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    return row ? toApiKey(row) : undefined;
  }

  async revokeApiKey(environmentId: string, id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db
      .updateTable("api_keys")
      .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())`, updated_at: sql<Date>`now()` })
      .where("environment_id", "=", environmentId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    return row ? toApiKey(row) : undefined;
  }

  async rotateApiKey(
    environmentId: string,
    id: string,
    next: NewApiKey,
    oldExpiresAt: Date,
  ): Promise<{ old: ApiKeyRecord; next: ApiKeyRecord }> {
    try {
      return await this.atomically(async (trx) => {
        const current = await trx
          .selectFrom("api_keys")
          .selectAll()
          .where("environment_id", "=", environmentId)
          .where("id", "=", id)
          .where("revoked_at", "is", null)
          .forUpdate()
          .executeTakeFirst();
        if (!current) throw new StoreConflict("NOT_FOUND", `No active API key "${id}" exists.`);
        const created = await trx
          .insertInto("api_keys")
          .values(apiKeyRow(next))
          .returningAll()
          .executeTakeFirstOrThrow();
        const keep = current.expires_at !== null && new Date(current.expires_at) < oldExpiresAt;
        const old = await trx
          .updateTable("api_keys")
          .set({
            replaced_by: next.id,
            expires_at: keep ? current.expires_at : oldExpiresAt,
            updated_at: sql<Date>`now()`,
          })
          .where("id", "=", id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { old: toApiKey(old), next: toApiKey(created) };
      });
    } catch (error) {
      throw asConflict(error, `The API key "${next.id}" already exists.`);
    }
  }

  async touchApiKeys(uses: { id: string; at: Date }[]): Promise<void> {
    // One statement per key: batches are small (keys used since the last flush), and greatest() keeps a
    // later time written by another node.
    for (const use of uses) {
      await this.db
        .updateTable("api_keys")
        .set({
          last_used_at: sql<Date>`greatest(coalesce(last_used_at, ${use.at}::timestamptz), ${use.at}::timestamptz)`,
        })
        .where("id", "=", use.id)
        .execute();
    }
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const rows = await this.db
      .selectFrom("signing_keys")
      .selectAll()
      .orderBy("created_at")
      .orderBy("kid")
      .execute();
    return rows.map(toSigningKey);
  }

  async addSigningKey(
    key: Pick<SigningKeyRecord, "kid" | "publicJwk" | "privateJwk">,
    at: Date,
    onlyIfNone = false,
  ): Promise<boolean> {
    try {
      return await this.atomically(async (trx) => {
        const active = await trx
          .selectFrom("signing_keys")
          .select("kid")
          .where("status", "=", "active")
          .forUpdate()
          .executeTakeFirst();
        if (active && onlyIfNone) return false;
        if (active) {
          await trx
            .updateTable("signing_keys")
            .set({ status: "retiring", retired_at: at })
            .where("kid", "=", active.kid)
            .execute();
        }
        await trx
          .insertInto("signing_keys")
          .values({
            kid: key.kid,
            public_jwk: JSON.stringify(key.publicJwk),
            private_jwk: key.privateJwk === null ? null : JSON.stringify(key.privateJwk),
            status: "active",
            created_at: at,
          })
          .execute();
        return true;
      });
    } catch (error) {
      // Another server made its key active first: with onlyIfNone that is success for both.
      if (onlyIfNone && (error as { code?: string }).code === UNIQUE_VIOLATION) return false;
      throw asConflict(error, "Another signing key was made active at the same time.");
    }
  }

  async retireSigningKeys(before: Date): Promise<number> {
    const result = await this.db
      .updateTable("signing_keys")
      .set({ status: "retired", private_jwk: null })
      .where("status", "=", "retiring")
      .where("retired_at", "<", before)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async revokeAccessToken(jti: string, applicationId: string, expiresAt: Date): Promise<void> {
    await this.db
      .insertInto("revoked_access_tokens")
      .values({ jti, application_id: applicationId, expires_at: expiresAt })
      .onConflict((oc) => oc.column("jti").doNothing())
      .execute();
  }

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    const row = await this.db
      .selectFrom("revoked_access_tokens")
      .select("jti")
      .where("jti", "=", jti)
      .executeTakeFirst();
    return row !== undefined;
  }

  async purgeRevokedAccessTokens(before: Date): Promise<number> {
    const result = await this.db
      .deleteFrom("revoked_access_tokens")
      .where("expires_at", "<", before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function apiKeyRow(key: NewApiKey) {
  return {
    id: key.id,
    environment_id: key.environmentId,
    application_id: key.applicationId,
    tenant_id: key.tenantId,
    name: key.name,
    api: key.api,
    key_hash: key.keyHash,
    display: key.display,
    scopes: key.scopes === null ? null : JSON.stringify(key.scopes),
    ip_allow_list: key.ipAllowList === null ? null : JSON.stringify(key.ipAllowList),
    time_window: key.timeWindow === null ? null : JSON.stringify(key.timeWindow),
    metadata: JSON.stringify(key.metadata),
    expires_at: key.expiresAt,
  };
}

function toApplication(row: Selectable<ApplicationsTable>): ApplicationRecord {
  return {
    id: row.id,
    environmentId: row.environment_id,
    tenantId: row.tenant_id,
    name: row.name,
    defaultApi: row.default_api,
    tokenTtlSeconds: row.token_ttl_seconds,
    metadata: row.metadata as Record<string, unknown>,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    revokedAt: iso(row.revoked_at),
  };
}

function toClientSecret(row: Selectable<ClientSecretsTable>): ClientSecretRecord {
  return {
    id: row.id,
    applicationId: row.application_id,
    secretHash: row.secret_hash,
    display: row.display,
    createdAt: iso(row.created_at)!,
    expiresAt: iso(row.expires_at),
  };
}

function toApiKey(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    environmentId: row.environment_id,
    applicationId: row.application_id,
    tenantId: row.tenant_id,
    name: row.name,
    api: row.api,
    keyHash: row.key_hash,
    display: row.display,
    scopes: (row.scopes as string[] | null) ?? null,
    ipAllowList: (row.ip_allow_list as string[] | null) ?? null,
    timeWindow: (row.time_window as ApiKeyRecord["timeWindow"]) ?? null,
    metadata: row.metadata as Record<string, unknown>,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    expiresAt: iso(row.expires_at),
    revokedAt: iso(row.revoked_at),
    lastUsedAt: iso(row.last_used_at),
    replacedBy: row.replaced_by,
  };
}

function toSigningKey(row: Selectable<SigningKeysTable>): SigningKeyRecord {
  return {
    kid: row.kid,
    publicJwk: row.public_jwk as Record<string, unknown>,
    privateJwk: (row.private_jwk as Record<string, unknown> | null) ?? null,
    status: row.status as SigningKeyRecord["status"],
    createdAt: iso(row.created_at)!,
    retiredAt: iso(row.retired_at),
  };
}

function asConflict(error: unknown, message: string): unknown {
  if (error instanceof StoreConflict) return error;
  const code = (error as { code?: string }).code;
  if (code === UNIQUE_VIOLATION) return new StoreConflict("DUPLICATE_KEY", message);
  if (code === FOREIGN_KEY_VIOLATION)
    return new StoreConflict("NOT_FOUND", "A referenced record does not exist.");
  return error;
}
