import type { Migration, MigrationProvider } from "kysely";
import * as m0001 from "./0001_initial";
import * as m0002 from "./0002_relationships";
import * as m0003 from "./0003_credentials";
import * as m0004 from "./0004_token_expiry";

/** Migrations are imported, not read from disk, so they ship inside the package and run the same anywhere. */
export const migrations: Record<string, Migration> = {
  "0001_initial": m0001,
  "0002_relationships": m0002,
  "0003_credentials": m0003,
  "0004_token_expiry": m0004,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
