import { type Kysely, type Selectable, sql } from "kysely";
import { lockEnvironment } from "./environment-lock";
import {
  type RelationshipStore,
  type ResourceReader,
  type StoredTuple,
  TUPLE_CHANGE_KIND,
  type TupleBatch,
  type TupleKey,
  type TupleListOptions,
  type TupleWriteResult,
} from "./relationship-store";
import { toChange } from "./rows";
import type { Database, RelationshipTuplesTable } from "./schema";
import type { ChangeRecord, StoredResource } from "./store";

/** Relationship tuples over Kysely: the same SQL on PGlite and PostgreSQL. */
export class KyselyRelationshipStore implements RelationshipStore {
  constructor(private readonly db: Kysely<Database>) {}

  writeTuples(
    environmentId: string,
    actor: string,
    batch: TupleBatch,
    guard?: (read: ResourceReader) => Promise<void>,
  ): Promise<TupleWriteResult> {
    return this.db.transaction().execute(async (trx) => {
      // The same row lock as Store.write: tuple batches and resource writes of one environment are serialised.
      const current = await lockEnvironment(trx, environmentId);
      if (guard) {
        await guard(async <T>(kind: string, id: string) => {
          const row = await trx
            .selectFrom("resources")
            .selectAll()
            .where("environment_id", "=", environmentId)
            .where("kind", "=", kind)
            .where("id", "=", id)
            .executeTakeFirst();
          if (!row) return undefined;
          return {
            kind: row.kind,
            id: row.id,
            data: row.data as T,
            createdAt: new Date(row.created_at).toISOString(),
            updatedAt: new Date(row.updated_at).toISOString(),
          } satisfies StoredResource<T>;
        });
      }

      let written: StoredTuple[] = [];
      if (batch.writes.length > 0) {
        // Only rows that are new or differ come back, so an identical re-write changes nothing.
        const rows = await trx
          .insertInto("relationship_tuples")
          .values(batch.writes.map((t) => toRow(environmentId, t)))
          .onConflict((oc) =>
            oc
              .columns(["environment_id", "object", "relation", "user"])
              .doUpdateSet({
                condition_name: (eb) => eb.ref("excluded.condition_name"),
                condition_context: (eb) => eb.ref("excluded.condition_context"),
                expires_at: (eb) => eb.ref("excluded.expires_at"),
              })
              .where(
                sql<boolean>`(relationship_tuples.condition_name, relationship_tuples.condition_context, relationship_tuples.expires_at)
                  is distinct from (excluded.condition_name, excluded.condition_context, excluded.expires_at)`,
              ),
          )
          .returningAll()
          .execute();
        written = inRequestOrder(batch.writes, rows.map(toTuple));
      }

      let deleted: StoredTuple[] = [];
      if (batch.deletes.length > 0) {
        const rows = await trx
          .deleteFrom("relationship_tuples")
          .where("environment_id", "=", environmentId)
          .where((eb) =>
            eb(
              eb.refTuple("object", "relation", "user"),
              "in",
              batch.deletes.map((k) => eb.tuple(k.object, k.relation, k.user)),
            ),
          )
          .returningAll()
          .execute();
        deleted = inRequestOrder(batch.deletes, rows.map(toTuple));
      }

      if (written.length === 0 && deleted.length === 0) {
        return { revision: current, written, deleted, changes: [] };
      }
      const revision = current + 1;
      await trx.updateTable("environments").set({ revision }).where("id", "=", environmentId).execute();
      const pending: { action: ChangeRecord["action"]; before: unknown; after: unknown }[] = [];
      if (written.length > 0) pending.push({ action: "create", before: null, after: { tuples: written } });
      if (deleted.length > 0) pending.push({ action: "delete", before: { tuples: deleted }, after: null });
      const changeRows = await trx
        .insertInto("changes")
        .values(
          pending.map((c, seq) => ({
            environment_id: environmentId,
            revision,
            seq,
            kind: TUPLE_CHANGE_KIND,
            resource_id: `batch:${revision}`,
            action: c.action,
            actor,
            before: c.before === null ? null : JSON.stringify(c.before),
            after: c.after === null ? null : JSON.stringify(c.after),
          })),
        )
        .returningAll()
        .execute();
      const changes = changeRows.map(toChange);
      return { revision, written, deleted, changes };
    });
  }

  async listTuples(environmentId: string, options: TupleListOptions): Promise<StoredTuple[]> {
    let query = this.db
      .selectFrom("relationship_tuples")
      .selectAll()
      .where("environment_id", "=", environmentId);
    if (options.object !== undefined) query = query.where("object", "=", options.object);
    if (options.relation !== undefined) query = query.where("relation", "=", options.relation);
    if (options.user !== undefined) query = query.where("user", "=", options.user);
    const after = options.after;
    if (after !== undefined) {
      query = query.where((eb) =>
        eb(
          eb.refTuple("object", "relation", "user"),
          ">",
          eb.tuple(after.object, after.relation, after.user),
        ),
      );
    }
    // The primary key's order (the database's collation): keyset pages walk the index, never sort the table.
    const rows = await query
      .orderBy("object")
      .orderBy("relation")
      .orderBy("user")
      .limit(options.limit)
      .execute();
    return rows.map(toTuple);
  }

  async countTuples(environmentId: string): Promise<number> {
    const row = await this.db
      .selectFrom("relationship_tuples")
      .select((eb) => eb.fn.countAll<string | number>().as("n"))
      .where("environment_id", "=", environmentId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

function toRow(environmentId: string, t: StoredTuple) {
  return {
    environment_id: environmentId,
    object: t.object,
    relation: t.relation,
    user: t.user,
    condition_name: t.condition?.name ?? null,
    condition_context: t.condition?.context === undefined ? null : JSON.stringify(t.condition.context),
    expires_at: t.expiresAt ?? null,
  };
}

function toTuple(row: Selectable<RelationshipTuplesTable>): StoredTuple {
  const t: StoredTuple = { object: row.object, relation: row.relation, user: row.user };
  if (row.condition_name !== null) {
    t.condition =
      row.condition_context === null
        ? { name: row.condition_name }
        : { name: row.condition_name, context: row.condition_context as Record<string, unknown> };
  }
  if (row.expires_at !== null) t.expiresAt = new Date(row.expires_at).toISOString();
  return t;
}

function keyOf(t: TupleKey): string {
  return `${t.object}#${t.relation}@${t.user}`;
}

/** RETURNING gives rows in no promised order; callers (and change records) get the request's order. */
function inRequestOrder(requested: readonly TupleKey[], rows: StoredTuple[]): StoredTuple[] {
  const byKey = new Map(rows.map((t) => [keyOf(t), t]));
  const out: StoredTuple[] = [];
  for (const k of requested) {
    const t = byKey.get(keyOf(k));
    if (t) {
      out.push(t);
      byKey.delete(keyOf(k));
    }
  }
  return out;
}
