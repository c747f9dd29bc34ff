import type { Transaction } from "kysely";
import type { Database } from "./schema";
import { StoreConflict } from "./store";

/**
 * Locks the environment's row until the transaction ends and returns its revision. Every writer of an
 * environment (resource writes and tuple batches alike) takes this lock first, so their revisions follow one
 * another without gaps or duplicates.
 */
export async function lockEnvironment(trx: Transaction<Database>, environmentId: string): Promise<number> {
  const env = await trx
    .selectFrom("environments")
    .select("revision")
    .where("id", "=", environmentId)
    .forUpdate()
    .executeTakeFirst();
  if (!env) throw new StoreConflict("NOT_FOUND", `Environment ${environmentId} does not exist.`);
  return env.revision;
}
