import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const REPO = resolve(import.meta.dirname, "..", "..", "..", "..");

/** The `tessera` command from the checkout, as a user runs it, with these environment variables. */
function tessera(args: string[], env: Record<string, string>) {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "packages/server/src/cli/main.ts", ...args],
    { cwd: REPO, env: { ...process.env, ...env }, encoding: "utf8", timeout: 20_000 },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("tessera --help", () => {
  it("never prints TESSERA_TOKEN, though the commands that take --token read it", () => {
    // Before, the token was each --token's default, and --help prints defaults: `(default: "tsr_mgmt_…")`.
    const secret = "tsr_mgmt_HelpMustNotShowThis";
    // keys list and rotate make --token as check does.
    for (const command of [["check"], ["gateway"]]) {
      const run = tessera([...command, "--help"], {
        TESSERA_TOKEN: secret,
        TESSERA_URL: "http://10.0.0.1:4000",
      });
      expect(run.status, run.output).toBe(0);
      expect(run.output).toContain("env: TESSERA_TOKEN");
      expect(run.output).not.toContain(secret);
    }
  });

  it("still reads TESSERA_TOKEN and TESSERA_URL", () => {
    // Nothing listens on port 9: the error names the URL the command would have asked, after the token was
    // found (without one, it says "Give a token").
    const run = tessera(["check", "--tenant", "acme", "--feature", "sso"], {
      TESSERA_TOKEN: "tsr_mgmt_x",
      TESSERA_URL: "http://127.0.0.1:9",
    });
    expect(run.status).toBe(1);
    expect(run.output).toContain("Cannot reach http://127.0.0.1:9/v1/check");
  });
});
