import { resolve } from "node:path";

export interface Config {
  host: string;
  port: number;
  /** PostgreSQL URL; when absent, PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  logLevel: string;
  bodyLimit: number;
  /** The OAuth issuer and the base of its endpoints' URLs. */
  publicUrl: string;
  /** Redis URL for change notifications between servers on one database; when absent, the poll alone. */
  redisUrl: string | undefined;
}

/** Every setting, its environment variable and its default. The README's table is made from this list. */
export const SETTINGS = [
  {
    key: "host",
    env: "TESSERA_HOST",
    flag: "--host <host>",
    default: "127.0.0.1",
    help: "Address to listen on",
  },
  { key: "port", env: "TESSERA_PORT", flag: "--port <port>", default: "4000", help: "Port to listen on" },
  {
    key: "databaseUrl",
    env: "DATABASE_URL",
    flag: "--database-url <url>",
    default: "",
    help: "PostgreSQL URL; empty: embedded PGlite",
  },
  {
    key: "dataDir",
    env: "TESSERA_DATA_DIR",
    flag: "--data-dir <dir>",
    default: "./.tessera",
    help: "PGlite's data folder",
  },
  {
    key: "logLevel",
    env: "TESSERA_LOG_LEVEL",
    flag: "--log-level <level>",
    default: "info",
    help: "fatal, error, warn, info, debug, trace or silent",
  },
  {
    key: "bodyLimit",
    env: "TESSERA_BODY_LIMIT",
    flag: "--body-limit <bytes>",
    default: "1048576",
    help: "Largest request body in bytes",
  },
  {
    key: "publicUrl",
    env: "TESSERA_PUBLIC_URL",
    flag: "--public-url <url>",
    default: "",
    help: "The URL clients reach the server at: the OAuth issuer; empty: http://<host>:<port>",
  },
  {
    key: "redisUrl",
    env: "TESSERA_REDIS_URL",
    flag: "--redis-url <url>",
    default: "",
    help: "Redis URL: servers on one database tell each other of writes at once; empty: they poll each second",
  },
] as const;

type SettingKey = (typeof SETTINGS)[number]["key"];

const LOG_LEVELS: readonly string[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Flags win over environment variables, which win over defaults. */
export function loadConfig(flags: Partial<Record<SettingKey, string>> = {}, env = process.env): Config {
  const value = (key: SettingKey) => {
    const setting = SETTINGS.find((s) => s.key === key)!;
    return flags[key] ?? env[setting.env] ?? setting.default;
  };
  const port = Number(value("port"));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port: ${value("port")}`);
  // pino's own refusal of a word it does not know is "default level:loud must be included in custom levels".
  const logLevel = value("logLevel");
  if (!LOG_LEVELS.includes(logLevel))
    throw new Error(`Invalid log level: ${logLevel} (one of ${LOG_LEVELS.join(", ")})`);
  const bodyLimit = Number(value("bodyLimit"));
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024)
    throw new Error(`Invalid body limit: ${value("bodyLimit")}`);
  return {
    host: value("host"),
    port,
    databaseUrl: value("databaseUrl") || undefined,
    dataDir: resolve(value("dataDir")),
    logLevel,
    bodyLimit,
    publicUrl: (value("publicUrl") || `http://${value("host")}:${port}`).replace(/\/+$/, ""),
    redisUrl: value("redisUrl") || undefined,
  };
}
