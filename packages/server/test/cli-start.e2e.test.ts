import { createServer, type Server } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, removeDataDir, runCli, tempDataDir } from "./process";

describe("tessera serve and migrate, started wrong", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) removeDataDir(dir);
  });

  it("shows a first start's token even when the port is taken, since the next start is no first", async () => {
    const port = await freePort();
    const taken: Server = createServer();
    await new Promise<void>((done) => taken.listen(port, "127.0.0.1", done));
    try {
      const dataDir = tempDataDir();
      dirs.push(dataDir);
      const run = runCli(["serve", "--data-dir", dataDir, "--host", "127.0.0.1", "--port", String(port)]);
      expect(run.status, run.stderr).not.toBe(0);
      expect(run.stderr).toContain("EADDRINUSE");
      // Before, the token was made and never printed.
      expect(run.stdout).toMatch(
        /Management token for "development" \(shown once, store it now\):\n {2}tsr_mgmt_\S+/,
      );
      expect(run.stdout).not.toContain("Try: curl");
    } finally {
      await new Promise<void>((done) => taken.close(() => done()));
    }
  });

  it("refuses a database URL that is not PostgreSQL's, naming only its scheme", () => {
    // Before, both ran on the embedded database, serve saying "storage: PostgreSQL".
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    for (const args of [
      [
        "serve",
        "--data-dir",
        dataDir,
        "--port",
        "0",
        "--database-url",
        "postgress://tessera:s3cret@127.0.0.1/db",
      ],
      ["migrate", "--data-dir", dataDir, "--database-url", "mysql://tessera:s3cret@127.0.0.1/db"],
    ]) {
      const run = runCli(args);
      expect(run.status, run.stdout).toBe(1);
      expect(run.stderr).toContain("must start with postgres:// or postgresql://");
      expect(`${run.stdout}${run.stderr}`).not.toContain("s3cret");
      expect(run.stdout).not.toContain("Management token");
    }
  });
});
