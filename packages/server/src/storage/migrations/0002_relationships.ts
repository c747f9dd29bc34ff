import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // Relationship tuples: one row per (object, relation, user) of an environment. Kept out of `resources`
  // because there are many of them and they are read by key, not loaded as documents.
  await db.schema
    .createTable("relationship_tuples")
    .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id").onDelete("cascade"))
    .addColumn("object", "text", (c) => c.notNull())
    .addColumn("relation", "text", (c) => c.notNull())
    .addColumn("user", "text", (c) => c.notNull())
    .addColumn("condition_name", "text")
    .addColumn("condition_context", "jsonb")
    .addColumn("expires_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("relationship_tuples_pkey", ["environment_id", "object", "relation", "user"])
    .execute();
  // Reads by subject ("what does anne hold?") for the tuple listing filter.
  await sql`create index relationship_tuples_by_user on relationship_tuples (environment_id, "user")`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("relationship_tuples").ifExists().execute();
}
