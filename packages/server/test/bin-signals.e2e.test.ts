import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCK_FILE } from "../src/storage/data-dir-lock";
import { freePort, removeDataDir, tempDataDir } from "./process";

const BIN = resolve(import.meta.dirname, "..", "bin", "tessera.js");

const listening = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });

/** `bin/tessera.js serve` on the embedded database, as a supervisor starts it; `output` so far. */
function serve(dataDir: string, port: number) {
  const wrapper = spawn(
    process.execPath,
    [BIN, "serve", "--data-dir", dataDir, "--port", String(port), "--log-level", "warn"],
    { env: { ...process.env, DATABASE_URL: "" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  wrapper.stdout.on("data", (chunk) => {
    output += chunk;
  });
  wrapper.stderr.on("data", (chunk) => {
    output += chunk;
  });
  return { wrapper, output: () => output };
}

describe("bin/tessera.js under a supervisor", () => {
  const dataDir = tempDataDir();
  afterAll(() => removeDataDir(dataDir));

  it("passes a SIGTERM sent to it alone on to the server, and exits once the server has closed", async () => {
    const port = await freePort();
    const { wrapper, output } = serve(dataDir, port);
    const lock = join(dataDir, LOCK_FILE);
    try {
      await expect
        .poll(() => output().includes("Tessera listening on"), { timeout: 120_000, interval: 100 })
        .toBe(true);
      const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
        wrapper.once("exit", (code, signal) => done({ code, signal })),
      );
      // Only the wrapper's own pid, as Docker or systemd signal their main process.
      process.kill(wrapper.pid!, "SIGTERM");
      // Before, the wrapper died at once and the server went on running, holding the port and the lock.
      expect(await exited, output()).toEqual({ code: 0, signal: null });
      expect(await listening(port)).toBe(false);
      expect(existsSync(lock)).toBe(false);
    } finally {
      // Whatever happened, leave no server behind: the lock names its process.
      // A lock left behind may name a process already gone: that must not hide the assertion that failed.
      if (existsSync(lock)) {
        const pid = Number.parseInt(readFileSync(lock, "utf8"), 10);
        try {
          if (pid > 0) process.kill(pid, "SIGKILL");
        } catch {}
      }
      wrapper.kill("SIGKILL");
    }
  }, 150_000);

  it("keeps a SIGTERM that comes while the server starts, and closes cleanly once it can", async () => {
    // A first start: creating the database takes seconds, with the data folder's lock already taken.
    const fresh = tempDataDir();
    const port = await freePort();
    const { wrapper, output } = serve(fresh, port);
    const lock = join(fresh, LOCK_FILE);
    try {
      await expect.poll(() => existsSync(lock), { timeout: 60_000, interval: 20 }).toBe(true);
      expect(output()).not.toContain("Tessera listening on");
      const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
        wrapper.once("exit", (code, signal) => done({ code, signal })),
      );
      process.kill(wrapper.pid!, "SIGTERM");
      // Before, the server died at once (143), its database half made and the lock left behind.
      expect(await exited, output()).toEqual({ code: 0, signal: null });
      expect(existsSync(lock)).toBe(false);
      // The first start's token was still shown: the next start is no longer a first.
      expect(output()).toContain("shown once");
    } finally {
      wrapper.kill("SIGKILL");
      removeDataDir(fresh);
    }
  }, 150_000);
});
