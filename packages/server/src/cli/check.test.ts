import { describe, expect, it } from "vitest";
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
});
