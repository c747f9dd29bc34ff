import type { ResourceKind } from "@tessera/sdk/core";
import { TesseraError } from "../../errors";
import { type Store, StoreConflict, type StoredResource } from "../../storage/store";
import type { SnapshotRegistry } from "../snapshots";
import { decodeCursor, encodeCursor } from "./cursor";
import type { KindDefinition } from "./definition";
import { KINDS } from "./kinds";

/** A resource as the API returns it: its document and when it was made and last changed. */
export type ResourceView = Record<string, unknown> & { createdAt: string; updatedAt: string };

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface ListQuery {
  cursor?: string | undefined;
  limit?: number | undefined;
  tenantId?: string | undefined;
}

/**
 * Create, read, update and delete for every kind of catalog and subject resource. Each write runs in one
 * transaction under the environment's write lock (checks and writes see the same state), records its
 * changes, and reaches the in-memory snapshot before the call returns: the next decision sees it.
 */
export class CatalogService {
  constructor(
    private readonly store: Store,
    private readonly snapshots: SnapshotRegistry,
  ) {}

  async list(environmentId: string, kind: ResourceKind, query: ListQuery): Promise<Page<ResourceView>> {
    const limit = query.limit ?? 100;
    // The list a cursor belongs to: the kind, and the filter, which changes what follows an id.
    const list = query.tenantId === undefined ? kind : `${kind}?tenantId=${query.tenantId}`;
    const after = query.cursor === undefined ? undefined : decodeCursor(list, query.cursor);
    const rows = await this.store.listResources(environmentId, kind, {
      after,
      limit: limit + 1,
      tenantId: query.tenantId,
    });
    const items = rows.slice(0, limit).map(view);
    const page: Page<ResourceView> = { items };
    if (rows.length > limit) page.nextCursor = encodeCursor(list, rows[limit - 1]!.id);
    return page;
  }

  async get(environmentId: string, kind: ResourceKind, id: string): Promise<ResourceView> {
    const row = await this.store.getResource(environmentId, kind, id);
    if (!row) throw notFound(kind, id);
    return view(row);
  }

  async create(
    environmentId: string,
    actor: string,
    kind: ResourceKind,
    input: unknown,
  ): Promise<ResourceView> {
    const def = KINDS[kind];
    return this.write(environmentId, actor, async (tx) => {
      const doc = def.build(input, new Date());
      await def.check(tx, doc, undefined);
      return tx.create(kind, def.idOf(doc), doc);
    });
  }

  /** Creates the resource or replaces it whole (PUT semantics). */
  /**
   * Creates or replaces. With `unchanged`, a stored resource it calls the same as the new one is left as it
   * is: no write, no change record, no new revision. Decided here, on what the database holds, not on a
   * snapshot that may not have caught up with another server's write.
   */
  async put(
    environmentId: string,
    actor: string,
    kind: ResourceKind,
    input: unknown,
    unchanged?: (stored: unknown, next: unknown) => boolean,
  ): Promise<ResourceView> {
    const def = KINDS[kind];
    return this.write(environmentId, actor, async (tx) => {
      const doc = def.build(input, new Date());
      const id = def.idOf(doc);
      const before = await tx.get<object>(kind, id);
      if (before && unchanged?.(before.data, doc)) return before;
      await def.check(tx, doc, before?.data);
      return before ? tx.update(kind, id, doc) : tx.create(kind, id, doc);
    });
  }

  async update(
    environmentId: string,
    actor: string,
    kind: ResourceKind,
    id: string,
    patch: unknown,
  ): Promise<ResourceView> {
    const def = KINDS[kind] as KindDefinition<object>;
    return this.write(environmentId, actor, async (tx) => {
      const before = await tx.get<object>(kind, id);
      if (!before) throw notFound(kind, id);
      const doc = def.patch(before.data, patch, new Date());
      await def.check(tx, doc, before.data);
      return tx.update(kind, id, doc);
    });
  }

  async delete(environmentId: string, actor: string, kind: ResourceKind, id: string): Promise<void> {
    const def = KINDS[kind] as KindDefinition<object>;
    await this.write(environmentId, actor, async (tx) => {
      const existing = await tx.get<object>(kind, id);
      if (!existing) throw notFound(kind, id);
      await def.beforeDelete?.(tx, existing.data);
      await tx.delete(kind, id);
      return existing;
    });
  }

  private async write(
    environmentId: string,
    actor: string,
    work: Parameters<Store["write"]>[2],
  ): Promise<ResourceView> {
    try {
      const result = await this.store.write(environmentId, actor, work);
      await this.snapshots.applyWrite(environmentId, result.revision, result.changes);
      return view(result.value as StoredResource);
    } catch (error) {
      if (error instanceof StoreConflict) throw new TesseraError(error.code, error.message);
      throw error;
    }
  }
}

function view(row: StoredResource): ResourceView {
  return { ...(row.data as Record<string, unknown>), createdAt: row.createdAt, updatedAt: row.updatedAt };
}

function notFound(kind: string, id: string): TesseraError {
  return new TesseraError("NOT_FOUND", `No ${kind} "${id}" exists.`);
}
