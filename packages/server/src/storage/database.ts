import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, Migrator, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { lockDataDir } from "./data-dir-lock";
import { migrationProvider } from "./migrations";
import { PGliteDialect } from "./pglite-dialect";
import type { Database } from "./schema";

export interface DatabaseOptions {
  /** `postgres://…` for PostgreSQL; otherwise PGlite, embedded. */
  url?: string | undefined;
  /** PGlite's data folder; `memory://` keeps everything in memory (tests). */
  dataDir?: string | undefined;
  /** A PostgreSQL schema to work in, created if missing: lets test files share one database. */
  schema?: string | undefined;
  /** Connection pool size for PostgreSQL. */
  poolSize?: number | undefined;
}

export interface OpenDatabase {
  db: Kysely<Database>;
  backend: "pglite" | "postgres";
  close(): Promise<void>;
}

const INT8_OID = 20;

export async function openDatabase(options: DatabaseOptions): Promise<OpenDatabase> {
  if (options.url) {
    // A typo here used to fall through to the embedded database, while the server said PostgreSQL.
    if (!/^postgres(ql)?:\/\//.test(options.url)) {
      const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(options.url)?.[1];
      // Only the scheme: the rest of a URL may hold a password.
      throw new Error(
        `The database URL must start with postgres:// or postgresql:// (it starts with ${scheme === undefined ? "no scheme" : `${scheme}:`}).`,
      );
    }
    return openPostgres(options.url, options);
  }
  return openPGlite(options.dataDir ?? "memory://", options.schema);
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<OpenDatabase> {
  const server = serverOf(url);
  if (options.schema) {
    const admin = new pg.Client({ connectionString: url });
    await reaching(server, () => admin.connect());
    await admin.query(`create schema if not exists ${quoteIdent(options.schema)}`);
    await admin.end();
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    // Revisions are bigint; they stay far below 2^53, and numbers are what the rest of the code expects.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // Connect now, so that a server that cannot be reached is said once, with where, before anything starts.
  await reaching(server, async () => (await pool.connect()).release()).catch(async (error: unknown) => {
    await pool.end();
    throw error;
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, backend: "postgres", close: () => db.destroy() };
}

/**
 * Where the URL points, as pg reads it (host and port: never the password). pg's own refusal of a URL it
 * cannot parse is a bare "Invalid URL", which names neither the setting nor what is wrong with it.
 */
function serverOf(url: string): string {
  let client: pg.Client;
  try {
    client = new pg.Client({ connectionString: url });
  } catch {
    throw new Error(
      "The database URL is not a URL: in the user name and password, percent-encode @ : / ? # [ ] and % " +
        "(%40 for @).",
    );
  }
  return client.host.startsWith("/")
    ? `${client.host} (socket), port ${client.port}`
    : `${client.host}:${client.port}`;
}

/** Runs the first connection, and names the server in its failure: "connect ECONNREFUSED" alone does not. */
async function reaching(server: string, connect: () => Promise<unknown>): Promise<void> {
  try {
    await connect();
  } catch (error) {
    throw new Error(`Cannot connect to PostgreSQL at ${server}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function openPGlite(dataDir: string, schema: string | undefined): Promise<OpenDatabase> {
  let unlock = () => {};
  if (!dataDir.startsWith("memory://")) {
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(dataDir, { parsers: { [INT8_OID]: Number } });
    if (schema) {
      await pglite.exec(
        `create schema if not exists ${quoteIdent(schema)}; set search_path to ${quoteIdent(schema)}`,
      );
    }
  } catch (error) {
    unlock();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    backend: "pglite",
    close: async () => {
      try {
        await db.destroy();
        await pglite.close();
      } finally {
        unlock();
      }
    },
  };
}

export async function migrate(db: Kysely<Database>, schema?: string): Promise<string[]> {
  // Name the schema: otherwise the migrator finds another schema's lock table and then fails to use it.
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
    // Kysely's introspection lists every schema, then asks has_schema_privilege of each by name: a schema
    // that another process drops in between (test files each drop their own as they finish) fails the
    // whole query with "schema … does not exist". Nothing was migrated yet; asking again lists schemas anew.
    if (attempt >= 3 || (error as { code?: string }).code !== INVALID_SCHEMA_NAME) throw error;
  }
}

/** PostgreSQL's SQLSTATE for a schema that does not exist. */
const INVALID_SCHEMA_NAME = "3F000";

export async function dropSchema(url: string, schema: string): Promise<void> {
  if (!/^postgres(ql)?:\/\//.test(url)) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`drop schema if exists ${quoteIdent(schema)} cascade`);
  await client.end();
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a safe schema name: ${name}`);
  return `"${name}"`;
}

export { sql };
