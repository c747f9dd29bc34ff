import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { runCheck } from "./check";

describe("tessera check", () => {
  it("refuses a --usage that is not a number before asking, an empty one included", async () => {
    // Number("") is 0: an empty --usage used to ask about a usage of 0. No server listens at this address,
    // so reaching it would fail differently.
    for (const usage of ["", "  ", "abc", "1e400"]) {
      await expect(
        runCheck({ url: "http://127.0.0.1:9", token: "t", tenant: "acme", feature: "seats", usage }),
      ).rejects.toThrow("--usage takes a number");
    }
  });

  it("exits 1, not 2 (denied), when the answer is not a decision", async () => {
    // Before, any 200 without `entitled: true` exited 2: a script took a wrong --url for a denial.
    const server = createServer((_request, response) => {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ method: "POST", url: "/v1/check" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect(await runCheck({ url, token: "t", tenant: "acme", feature: "seats" })).toBe(1);
      expect(error).toHaveBeenCalledWith(expect.stringContaining("is not a decision"));
    } finally {
      log.mockRestore();
      error.mockRestore();
      server.close();
    }
  });
});
