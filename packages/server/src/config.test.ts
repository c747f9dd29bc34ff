import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config";

describe("loadConfig", () => {
  it("takes each log level pino knows, and names them for a word it does not", () => {
    for (const level of ["fatal", "error", "warn", "info", "debug", "trace", "silent"]) {
      expect(loadConfig({ logLevel: level }, {}).logLevel).toBe(level);
    }
    expect(() => loadConfig({ logLevel: "loud" }, {})).toThrow(
      "Invalid log level: loud (one of fatal, error, warn, info, debug, trace, silent)",
    );
    expect(() => loadConfig({}, { TESSERA_LOG_LEVEL: "verbose" })).toThrow("Invalid log level: verbose");
  });
});

describe("loadConfig, empty and malformed values", () => {
  it("takes an empty value for no value, the default, as DATABASE_URL always did", () => {
    // Before, TESSERA_PORT= listened on any free port (Number("") is 0), and TESSERA_DATA_DIR= put PGlite's
    // files in the working folder itself.
    const config = loadConfig(
      { host: "" },
      {
        TESSERA_PORT: "",
        TESSERA_DATA_DIR: " ",
        TESSERA_LOG_LEVEL: "",
        TESSERA_BODY_LIMIT: "",
        DATABASE_URL: "",
      },
    );
    expect(config).toMatchObject({ host: "127.0.0.1", port: 4000, logLevel: "info", bodyLimit: 1048576 });
    expect(config.dataDir).toBe(resolve(".tessera"));
    expect(config.databaseUrl).toBeUndefined();
    expect(config.publicUrl).toBe("http://127.0.0.1:4000");
    // A flag still wins over the environment, an empty one too: it asks for the default (`--database-url ""`
    // for the embedded database, whatever DATABASE_URL says).
    expect(loadConfig({ port: "4100" }, { TESSERA_PORT: "" }).port).toBe(4100);
    expect(loadConfig({ port: "" }, { TESSERA_PORT: "4200" }).port).toBe(4000);
    expect(loadConfig({ databaseUrl: "" }, { DATABASE_URL: "postgres://db/x" }).databaseUrl).toBeUndefined();
  });

  it("puts an IPv6 listen address in brackets in the default issuer", () => {
    // Before, --host :: made the issuer http://:::4000, which is no URL.
    expect(loadConfig({ host: "::", port: "4000" }, {}).publicUrl).toBe("http://[::]:4000");
    expect(loadConfig({ host: "::1", port: "4000" }, {}).publicUrl).toBe("http://[::1]:4000");
    expect(loadConfig({ host: "0.0.0.0", port: "4000" }, {}).publicUrl).toBe("http://0.0.0.0:4000");
  });

  it("refuses a public URL that cannot be an OAuth issuer", () => {
    // Before, "not a url" was served as the issuer, and "not a url/oauth/token" as the token endpoint.
    for (const bad of [
      "not a url",
      "ftp://auth.example.com",
      "https://auth.example.com/?tenant=a",
      "https://a.example#x",
    ])
      expect(() => loadConfig({ publicUrl: bad }, {})).toThrow(`Invalid public URL: ${bad}`);
    expect(loadConfig({}, { TESSERA_PUBLIC_URL: " https://auth.example.com/tessera/ " }).publicUrl).toBe(
      "https://auth.example.com/tessera",
    );
  });

  it("refuses a Redis URL that is not one, naming only its scheme", () => {
    // Before, ioredis took "http://…" for a socket named "/" and a bare word for a host name, and the server
    // went on with a warning.
    expect(() => loadConfig({}, { TESSERA_REDIS_URL: "http://tessera:s3cret@cache:6379" })).toThrow(
      "The Redis URL must start with redis:// or rediss:// (it starts with http:).",
    );
    expect(() => loadConfig({ redisUrl: "cache:6379" }, {})).toThrow("(it starts with cache:)");
    expect(() => loadConfig({ redisUrl: "localhost" }, {})).toThrow("(it starts with no scheme)");
    try {
      loadConfig({ redisUrl: "http://tessera:s3cret@cache:6379" }, {});
    } catch (error) {
      expect(String(error)).not.toContain("s3cret");
    }
    expect(loadConfig({ redisUrl: "rediss://cache:6380" }, {}).redisUrl).toBe("rediss://cache:6380");
    expect(loadConfig({}, { TESSERA_REDIS_URL: "redis://127.0.0.1:6379" }).redisUrl).toBe(
      "redis://127.0.0.1:6379",
    );
  });
});
