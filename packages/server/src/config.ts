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

export const LOG_LEVELS: readonly string[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Flags win over environment variables, which win over defaults. */
export function loadConfig(flags: Partial<Record<SettingKey, string>> = {}, env = process.env): Config {
  const value = (key: SettingKey) => {
    const setting = SETTINGS.find((s) => s.key === key)!;
    const given = flags[key] ?? env[setting.env];
    // Empty asks for the default, as DATABASE_URL always did: `TESSERA_PORT=` used to be port 0 (any free
    // port), and `TESSERA_DATA_DIR=` the working folder itself, filled with PGlite's files.
    return given === undefined || given.trim() === "" ? setting.default : given;
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
  const host = value("host");
  const redisUrl = value("redisUrl") || undefined;
  // ioredis takes anything: "http://x" connected to a socket named "/", and a bare word to a host of that name.
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    // Only the scheme: the rest of a URL may hold a password.
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(redisUrl)?.[1];
    throw new Error(
      `The Redis URL must start with redis:// or rediss:// (it starts with ${scheme === undefined ? "no scheme" : `${scheme}:`}).`,
    );
  }
  return {
    host,
    port,
    databaseUrl: value("databaseUrl") || undefined,
    dataDir: resolve(value("dataDir")),
    logLevel,
    bodyLimit,
    publicUrl: publicUrlOf(value("publicUrl").trim(), host, port),
    redisUrl,
  };
}

/**
 * The OAuth issuer: RFC 8414 makes it a URL with no query or fragment, and clients compare it with the
 * tokens' `iss` as text. Without one, the listen address, an IPv6 one in brackets (`http://:::4000` is no URL).
 */
function publicUrlOf(given: string, host: string, port: number): string {
  if (given === "")
    return `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new Error(`Invalid public URL: ${given} (an http:// or https:// URL)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(`Invalid public URL: ${given} (an http:// or https:// URL)`);
  if (url.search !== "" || url.hash !== "" || given.includes("?") || given.includes("#"))
    throw new Error(`Invalid public URL: ${given} (an issuer has no query or fragment)`);
  return given.replace(/\/+$/, "");
}
