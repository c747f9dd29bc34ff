import type { Migration, MigrationProvider } from "kysely";
import * as m0001 from "./0001_initial";

/** Migrations are imported, not read from disk, so they ship inside the package and run the same anywhere. */
export const migrations: Record<string, Migration> = {
  "0001_initial": m0001,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
