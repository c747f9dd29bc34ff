import type { Selectable } from "kysely";
import type { ChangesTable } from "./schema";
import type { ChangeRecord } from "./store";

/** A timestamp column as ISO 8601: PostgreSQL's driver gives Date objects, PGlite may give strings. */
export function iso(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** A row of `changes` as the change record every store returns. */
export function toChange(row: Selectable<ChangesTable>): ChangeRecord {
  return {
    environmentId: row.environment_id,
    revision: Number(row.revision),
    seq: row.seq,
    kind: row.kind,
    resourceId: row.resource_id,
    action: row.action as ChangeRecord["action"],
    actor: row.actor,
    before: row.before ?? undefined,
    after: row.after ?? undefined,
    at: iso(row.at)!,
  };
}
