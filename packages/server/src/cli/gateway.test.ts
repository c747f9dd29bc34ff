import { describe, expect, it } from "vitest";
import { type GatewayFlags, runGateway } from "./gateway";

/** The flags as commander hands them over with their defaults; nothing listens at the Tessera URL. */
const flags: GatewayFlags = {
  api: "payments@1",
  upstream: "http://127.0.0.1:3000",
  port: "8080",
  host: "127.0.0.1",
  tesseraUrl: "http://127.0.0.1:9",
  token: "tsr_sk_x",
  apiKeys: true,
  keyCache: "5",
  refresh: "60",
  logLevel: "warn",
};

describe("tessera gateway, started wrong", () => {
  it("names the flag and the value it refuses, before asking Tessera anything", async () => {
    // Before: pino's "default level:loud must be included in custom levels", a bare "Invalid URL", Node's
    // "options.port should be >= 0 and < 65536", and an empty --port listening on any free port.
    const refusals: [Partial<GatewayFlags>, string][] = [
      [
        { logLevel: "loud" },
        '--log-level takes one of fatal, error, warn, info, debug, trace, silent, not "loud"',
      ],
      [{ upstream: "127.0.0.1:3000" }, '--upstream takes an http:// or https:// URL, not "127.0.0.1:3000"'],
      [{ tesseraUrl: "tessera:4000" }, '--tessera-url takes an http:// or https:// URL, not "tessera:4000"'],
      [{ port: "70000" }, '--port takes a port number, 0 to 65535, not "70000"'],
      [{ port: "" }, '--port takes a whole number, not ""'],
      [{ keyCache: " " }, '--key-cache takes a whole number, not " "'],
    ];
    for (const [wrong, message] of refusals) {
      await expect(runGateway({ ...flags, ...wrong })).rejects.toThrow(message);
    }
    // The flags above are right: what fails is reaching Tessera, which nothing answers for.
    await expect(runGateway(flags)).rejects.toThrow("cannot reach http://127.0.0.1:9/");
  });
});
