import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("environments")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("key", "text", (c) => c.notNull().unique())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("revision", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("rights", "jsonb", (c) => c.notNull())
    // SHA-256 of the token: tokens are 256-bit random, so a fast hash is enough and lets us index it.
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("display", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("revoked_at", "timestamptz")
    .addColumn("last_used_at", "timestamptz")
    .execute();

  // The catalog and the subjects: one row per resource, its document in `data`. Every kind shares the
  // same life cycle (validate, write, record a change, recompile), so one table serves them all and the
  // snapshot loads an environment in one scan.
  await db.schema
    .createTable("resources")
    .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("data", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("resources_pkey", ["environment_id", "kind", "id"])
    .execute();
  await sql`create index resources_by_tenant on resources (environment_id, kind, (data->>'tenantId'))`.execute(
    db,
  );
  await sql`create index subscriptions_by_plan on resources (environment_id, (data->>'planKey'))
    where kind = 'subscription'`.execute(db);
  await sql`create unique index subscriptions_external_key on resources (environment_id, (data->>'externalKey'))
    where kind = 'subscription' and data->>'externalKey' is not null`.execute(db);

  await db.schema
    .createTable("changes")
    .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id").onDelete("cascade"))
    .addColumn("revision", "bigint", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("before", "jsonb")
    .addColumn("after", "jsonb")
    .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("changes_pkey", ["environment_id", "revision", "seq"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["changes", "resources", "tokens", "environments"]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
