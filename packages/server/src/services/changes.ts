import type { ChangeRecord, Store } from "../storage/store";

export class ChangeService {
  constructor(private readonly store: Store) {}

  /** Change records after a revision, oldest first; `nextAfterRevision` continues where this page ends. */
  async list(
    environmentId: string,
    query: {
      afterRevision?: number | undefined;
      limit?: number | undefined;
      kind?: string | undefined;
      resourceId?: string | undefined;
    },
  ): Promise<{ items: ChangeRecord[]; nextAfterRevision?: number }> {
    const limit = query.limit ?? 100;
    // Pages end on whole revisions: a write's changes are never split across two pages.
    const rows = await this.store.listChanges(environmentId, { ...query, limit: limit + 1 });
    if (rows.length <= limit) return { items: rows };
    const last = rows[limit - 1]!.revision;
    let items = rows.filter((r) => r.revision <= last);
    if (items.length > limit) items = items.filter((r) => r.revision < last);
    if (items.length === 0) {
      // The first revision alone holds more than a page (a tenant deleted with all it had): the whole of
      // it, read on its own. Before, only what the page had read of it came back, and the next page
      // started after it: the rest was never listed.
      const revision = rows[0]!.revision;
      items = await this.store.listChanges(environmentId, {
        ...query,
        afterRevision: undefined,
        atRevision: revision,
        limit: Number.MAX_SAFE_INTEGER,
      });
    }
    return { items, nextAfterRevision: items[items.length - 1]!.revision };
  }
}
