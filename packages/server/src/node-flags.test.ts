import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SERVER_NODE_FLAGS } from "./node-flags";

const read = (relative: string) => readFileSync(fileURLToPath(new URL(relative, import.meta.url)), "utf8");

/** What starts the server passes SERVER_NODE_FLAGS, the list the benchmark runs both its servers with. */
describe("the server's Node flags", () => {
  const scripts = JSON.parse(read("../../../package.json")).scripts as Record<string, string>;
  const bin = read("../bin/tessera.js");

  it.each(["start", "tessera"])("npm run %s passes them to Node, before the script", (name) => {
    const script = scripts[name]!;
    for (const flag of SERVER_NODE_FLAGS) {
      expect(script.indexOf(flag)).toBeGreaterThan(-1);
      expect(script.indexOf(flag)).toBeLessThan(script.indexOf("main.ts"));
    }
  });

  it("bin/tessera.js passes the same list", () => {
    const listed = /const NODE_FLAGS = (\[[^\]]*\]);/.exec(bin)?.[1];
    expect(listed && JSON.parse(listed)).toEqual(SERVER_NODE_FLAGS);
  });
});
