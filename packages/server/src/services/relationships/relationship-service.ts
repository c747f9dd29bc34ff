import { relations, type Snapshot } from "@tessera/sdk/core";
import { TesseraError } from "../../errors";
import type { StoredTuple, TupleKey } from "../../storage/relationship-store";
import { type Store, StoreConflict } from "../../storage/store";
import type { SnapshotRegistry } from "../snapshots";
import { relationError } from "./issues";
import { MODEL_ID, MODEL_KIND, type ModelRecord } from "./model-record";
import type { IndexedRelations, RelationIndex } from "./relation-index";
import {
  decodeTupleCursor,
  encodeTupleCursor,
  normaliseTuple,
  type TupleInput,
  toRelationTuple,
  tupleKey,
} from "./tuples";

export interface TupleWriteInput {
  writes?: TupleInput[] | undefined;
  deletes?: TupleKey[] | undefined;
}

export interface TupleListQuery {
  object?: string | undefined;
  relation?: string | undefined;
  user?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

/** Options every query takes, as the API receives them. */
export interface QueryInput {
  context?: Record<string, unknown> | undefined;
  contextualTuples?: TupleInput[] | undefined;
  /** Answer from a state at least this fresh (the `revision` a write returned). */
  atLeastRevision?: number | undefined;
}

export type CheckInput = QueryInput & { object: string; relation: string; user: string; explain?: boolean };

/**
 * Relationship tuples and the queries over them. Writes go to the database under the environment's write
 * lock and then, in revision order, into the in-memory index; queries never touch the database.
 */
export class RelationshipService {
  /** Compiled models by model id: a batch is validated without recompiling the model each time. */
  private readonly compiled = new Map<string, relations.CompiledModel>();

  constructor(
    private readonly store: Store,
    private readonly snapshots: SnapshotRegistry,
    private readonly index: RelationIndex,
  ) {}

  async writeTuples(environmentId: string, actor: string, input: TupleWriteInput) {
    const writes = (input.writes ?? []).map(normaliseTuple);
    const deletes = (input.deletes ?? []).map((k) => ({
      object: k.object,
      relation: k.relation,
      user: k.user,
    }));
    checkDisjoint(writes, deletes);
    const sizeIssues = writes.flatMap((t, i) => sizeIssuesOf(t, `writes[${i}]`));
    if (sizeIssues.length > 0) throw relationError(sizeIssues, "A tuple is too long to store");
    const deleteIssues = deletes.flatMap((k, i) => shapeIssues(k, `deletes[${i}]`));
    if (deleteIssues.length > 0) throw relationError(deleteIssues, "A tuple to delete is not valid");
    try {
      const result = await this.store.relationships.writeTuples(
        environmentId,
        actor,
        { writes, deletes },
        async (read) => {
          if (writes.length === 0) return;
          // Read under the lock: a model change cannot slip in between this validation and the commit.
          const row = await read<ModelRecord>(MODEL_KIND, MODEL_ID);
          if (!row)
            throw new TesseraError("INVALID_STATE", "Define a relationship model before writing tuples.");
          const problems = relations.validateTuples(
            this.model(row.data),
            writes.map(toRelationTuple),
            "writes",
          );
          if (problems.length > 0) throw relationError(problems, "A tuple does not fit the model");
        },
      );
      await this.snapshots.applyWrite(environmentId, result.revision, result.changes);
      return { revision: result.revision, written: result.written.length, deleted: result.deleted.length };
    } catch (error) {
      if (error instanceof StoreConflict) throw new TesseraError(error.code, error.message);
      throw error;
    }
  }

  async listTuples(environmentId: string, query: TupleListQuery) {
    const limit = query.limit ?? 100;
    let after: TupleKey | undefined;
    if (query.cursor !== undefined) {
      after = decodeTupleCursor(query.cursor);
      if (!after) throw new TesseraError("INVALID_CURSOR", "The cursor is not one this service issued.");
    }
    const rows = await this.store.relationships.listTuples(environmentId, {
      object: query.object,
      relation: query.relation,
      user: query.user,
      after,
      limit: limit + 1,
    });
    const page: { items: StoredTuple[]; nextCursor?: string } = { items: rows.slice(0, limit) };
    if (rows.length > limit) page.nextCursor = encodeTupleCursor(rows[limit - 1]!);
    return page;
  }

  async check(environmentId: string, input: CheckInput) {
    const { engine, revision } = await this.engine(environmentId, input.atLeastRevision);
    const result = relations.check(engine, { ...toQuery(input), explain: input.explain === true });
    if (result.error) throw relationError([result.error], "The check cannot be answered", "");
    return { ...result, revision };
  }

  async batchCheck(environmentId: string, checks: CheckInput[], atLeastRevision?: number) {
    const { engine, revision } = await this.engine(environmentId, atLeastRevision);
    // One failing check does not fail the batch: its problem comes back in its own `error`.
    const results = relations.batchCheck(
      engine,
      checks.map((c) => ({ ...toQuery(c), explain: c.explain === true })),
    );
    return {
      results: results.map((r, i) =>
        r.error ? { allowed: false, error: { ...r.error, path: `checks[${i}].${r.error.path}` } } : r,
      ),
      revision,
    };
  }

  async listObjects(
    environmentId: string,
    input: QueryInput & { type: string; relation: string; user: string; cursor?: string; pageSize?: number },
  ) {
    const { engine, revision } = await this.engine(environmentId, input.atLeastRevision);
    const req: relations.ListObjectsRequest = { ...toQuery(input), type: input.type };
    if (input.cursor !== undefined) req.cursor = input.cursor;
    if (input.pageSize !== undefined) req.pageSize = input.pageSize;
    const result = relations.listObjects(engine, req);
    if (result.error) throw relationError([result.error], "The objects cannot be listed");
    return { objects: result.objects, cursor: result.cursor, revision };
  }

  async listUsers(
    environmentId: string,
    input: QueryInput & { object: string; relation: string; userFilters: relations.UserFilter[] },
  ) {
    const { engine, revision } = await this.engine(environmentId, input.atLeastRevision);
    const result = relations.listUsers(engine, {
      ...toQuery({ ...input, user: "" }),
      object: input.object,
      userFilters: input.userFilters,
    });
    if (result.error) throw relationError([result.error], "The users cannot be listed");
    return { users: result.users, revision };
  }

  async expand(
    environmentId: string,
    input: Pick<QueryInput, "contextualTuples" | "atLeastRevision"> & { object: string; relation: string },
  ) {
    const { engine, revision } = await this.engine(environmentId, input.atLeastRevision);
    const req: relations.ExpandRequest = { object: input.object, relation: input.relation };
    if (input.contextualTuples) req.contextualTuples = input.contextualTuples.map(toRelationTuple);
    const result = relations.expand(engine, req);
    if (result.error) throw relationError([result.error], "The relation cannot be expanded");
    return { tree: result.tree!, revision };
  }

  /** The engine of a snapshot at least `atLeast` fresh; a write of another node is read by reloading. */
  private async engine(
    environmentId: string,
    atLeast: number | undefined,
  ): Promise<{ engine: relations.RelationEngine; revision: number }> {
    let snapshot: Snapshot =
      this.snapshots.current(environmentId) ?? (await this.snapshots.get(environmentId));
    if (atLeast !== undefined && snapshot.revision < atLeast) {
      const env = await this.store.getEnvironment(environmentId);
      if (env && env.revision >= atLeast) snapshot = await this.snapshots.reload(environmentId);
      if (snapshot.revision < atLeast) {
        throw new TesseraError(
          "CONFLICT",
          `Revision ${atLeast} has not been written; the latest is ${env?.revision ?? snapshot.revision}.`,
          [{ pointer: "/atLeastRevision", message: "ahead of the environment's latest revision" }],
        );
      }
    }
    const indexed: IndexedRelations | undefined = this.index.of(snapshot);
    if (!snapshot.relations || !indexed) {
      throw new TesseraError("INVALID_STATE", "No relationship model is defined yet.");
    }
    return { engine: snapshot.relations, revision: snapshot.revision };
  }

  private model(record: ModelRecord): relations.CompiledModel {
    let model = this.compiled.get(record.id);
    if (!model) {
      const result = relations.compileModel(record.json);
      if (!result.model) throw relationError(result.errors, "The stored model does not compile");
      model = result.model;
      // Model ids change on every write, so old entries are never read again: keep the map small.
      if (this.compiled.size >= 64) this.compiled.clear();
      this.compiled.set(record.id, model);
    }
    return model;
  }
}

function toQuery(input: QueryInput & { object?: string; relation: string; user: string }) {
  const q: relations.CheckRequest = {
    object: input.object ?? "",
    relation: input.relation,
    user: input.user,
  };
  if (input.context) q.context = input.context;
  if (input.contextualTuples) q.contextualTuples = input.contextualTuples.map(toRelationTuple);
  return q;
}

/** OpenFGA refuses a batch that names one tuple twice, or writes and deletes it at once: so do we. */
function checkDisjoint(writes: TupleKey[], deletes: TupleKey[]): void {
  const seen = new Map<string, string>();
  const errors = [];
  for (const [side, list] of [
    ["writes", writes],
    ["deletes", deletes],
  ] as const) {
    for (let i = 0; i < list.length; i++) {
      const k = tupleKey(list[i]!);
      const first = seen.get(k);
      if (first)
        errors.push({ pointer: `/${side}/${i}`, message: `${k} is also at ${first}`, code: "INVALID_TUPLE" });
      else seen.set(k, `/${side}/${i}`);
    }
  }
  if (errors.length > 0)
    throw new TesseraError("INVALID_TUPLE", "A batch names each tuple at most once.", errors);
}

/**
 * Objects and users of at most this many bytes of UTF-8 each. The schema counts characters (512 at most), and
 * 512 four-byte characters in both made a key PostgreSQL cannot index (a row of its primary key holds
 * about 2,700 bytes): the write was a 500.
 */
const MAX_REF_BYTES = 1024;

function sizeIssuesOf(t: TupleKey, path: string): relations.RelationIssue[] {
  const problems: relations.RelationIssue[] = [];
  for (const field of ["object", "user"] as const) {
    if (Buffer.byteLength(t[field], "utf8") > MAX_REF_BYTES)
      problems.push(
        relations.issue(
          "INVALID_TUPLE",
          `${field} is longer than ${MAX_REF_BYTES} bytes of UTF-8`,
          `${path}.${field}`,
        ),
      );
  }
  return problems;
}

function shapeIssues(k: TupleKey, path: string): relations.RelationIssue[] {
  const problems: relations.RelationIssue[] = [];
  const object = relations.parseObject(k.object);
  if (!object || object.id === "*")
    problems.push(relations.issue("INVALID_TUPLE", `invalid object '${k.object}'`, `${path}.object`));
  if (!relations.parseUser(k.user))
    problems.push(relations.issue("INVALID_TUPLE", `invalid user '${k.user}'`, `${path}.user`));
  return problems;
}
