import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DataDirInUseError, LOCK_FILE, lockDataDir } from "./data-dir-lock";
import { openDatabase } from "./database";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-lock-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The id of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

describe("the PGlite data folder lock", () => {
  it("holds the folder for one taker, names the holder to the next, and gives it back", () => {
    const dir = tempDir();
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), "utf8")).toBe(String(process.pid));
    let refused: unknown;
    try {
      lockDataDir(dir);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as DataDirInUseError).pid).toBe(process.pid);
    expect((refused as Error).message).toContain(`in use by process ${process.pid}`);
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lockDataDir(dir)();
  });

  it("takes over a lock whose process has died, or that holds no process id", () => {
    const dir = tempDir();
    writeFileSync(join(dir, LOCK_FILE), String(deadPid()));
    lockDataDir(dir)();
    writeFileSync(join(dir, LOCK_FILE), "not a pid");
    lockDataDir(dir)();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("refuses a second database over an open folder, and allows it once the first is closed", async () => {
    const dir = tempDir();
    const first = await openDatabase({ dataDir: dir });
    await expect(openDatabase({ dataDir: dir })).rejects.toBeInstanceOf(DataDirInUseError);
    await first.close();
    const second = await openDatabase({ dataDir: dir });
    await second.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("does not lock memory databases", async () => {
    const a = await openDatabase({ dataDir: "memory://" });
    const b = await openDatabase({ dataDir: "memory://" });
    await Promise.all([a.close(), b.close()]);
  });
});
