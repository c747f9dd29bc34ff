import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // Applications (API consumers of a tenant). The id is the OAuth2 client_id, unique across environments,
  // so the token endpoint finds the environment from it.
  await db.schema
    .createTable("applications")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id").onDelete("cascade"))
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("default_api", "text")
    .addColumn("token_ttl_seconds", "integer")
    .addColumn("metadata", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("revoked_at", "timestamptz")
    .execute();
  await db.schema
    .createIndex("applications_by_tenant")
    .on("applications")
    .columns(["environment_id", "tenant_id"])
    .execute();

  // Client secrets: more than one is valid during a rotation's grace period.
  await db.schema
    .createTable("client_secrets")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("application_id", "text", (c) => c.notNull().references("applications.id").onDelete("cascade"))
    // SHA-256 of a 256-bit random secret: a fast hash is enough, and it can be indexed.
    .addColumn("secret_hash", "text", (c) => c.notNull().unique())
    .addColumn("display", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz")
    .execute();

  await db.schema
    .createTable("api_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id").onDelete("cascade"))
    .addColumn("application_id", "text", (c) => c.notNull().references("applications.id").onDelete("cascade"))
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("name", "text")
    .addColumn("api", "text", (c) => c.notNull())
    .addColumn("key_hash", "text", (c) => c.notNull().unique())
    .addColumn("display", "text", (c) => c.notNull())
    .addColumn("scopes", "jsonb")
    .addColumn("ip_allow_list", "jsonb")
    .addColumn("time_window", "jsonb")
    .addColumn("metadata", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz")
    .addColumn("revoked_at", "timestamptz")
    .addColumn("last_used_at", "timestamptz")
    .addColumn("replaced_by", "text")
    .execute();
  await db.schema
    .createIndex("api_keys_by_application")
    .on("api_keys")
    .columns(["environment_id", "application_id", "id"])
    .execute();

  // One issuer per server, so signing keys belong to no environment.
  await db.schema
    .createTable("signing_keys")
    .addColumn("kid", "text", (c) => c.primaryKey())
    .addColumn("public_jwk", "jsonb", (c) => c.notNull())
    // Null once the key is retired: nothing may sign with it again.
    .addColumn("private_jwk", "jsonb")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("retired_at", "timestamptz")
    .execute();
  // At most one key signs: two servers starting at once cannot both create one.
  await sql`create unique index signing_keys_one_active on signing_keys (status) where status = 'active'`.execute(
    db,
  );

  // Revoked access tokens, by jti, kept until the token would have expired anyway.
  await db.schema
    .createTable("revoked_access_tokens")
    .addColumn("jti", "text", (c) => c.primaryKey())
    .addColumn("application_id", "text", (c) => c.notNull())
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("revoked_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "revoked_access_tokens",
    "signing_keys",
    "api_keys",
    "client_secrets",
    "applications",
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
