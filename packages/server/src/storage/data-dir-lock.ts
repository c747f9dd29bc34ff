import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

/** The lock file in a PGlite data folder; it holds the id of the process that has the folder open. */
export const LOCK_FILE = "tessera.lock";

/** Thrown when another live process (or this one) already has the data folder open. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The data folder ${dataDir} is in use by process ${pid}: PGlite's data folder belongs to one process ` +
        "at a time. Stop that process first, or make the change through its API (POST /v1/tokens makes a " +
        `token). If no such process runs, delete ${join(dataDir, LOCK_FILE)}.`,
    );
    this.name = "DataDirInUseError";
  }
}

/**
 * Takes a PGlite data folder for this process, and returns what gives it back. A second PGlite over the same
 * files, in another process (the CLI while the server runs) or in this one, would neither see the first's
 * writes nor keep its own safe: each holds its own buffers and writes the same files underneath the other.
 * So the second is refused with a message that says what to do. A lock left by a process that has died is
 * taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, "wx");
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      return () => release(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
      const holder = holderOf(path);
      if (holder !== undefined && isAlive(holder)) throw new DataDirInUseError(dataDir, holder);
      // Stale: its process is gone (or the file is unreadable garbage). Take it over, once.
      unlinkSync(path);
    }
  }
}

function release(path: string): void {
  try {
    if (holderOf(path) === process.pid) unlinkSync(path);
  } catch {
    // Already gone: nothing to give back.
  }
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this id exists (EPERM: it does, and belongs to someone else). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
