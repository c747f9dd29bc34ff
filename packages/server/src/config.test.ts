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
