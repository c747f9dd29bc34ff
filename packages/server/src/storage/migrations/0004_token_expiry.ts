import type { Kysely } from "kysely";

/** Management tokens and server keys may expire; those made before this never do. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("tokens").addColumn("expires_at", "timestamptz").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("tokens").dropColumn("expires_at").execute();
}
