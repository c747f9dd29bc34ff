import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dirname, "..", "..", "..");

export interface ServerProcess {
  url: string;
  /** The bootstrap token, when this start was the first on its data folder. */
  token: string | undefined;
  dataDir: string;
  output: () => string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), "tessera-e2e-"));
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A `tessera` command running as its own process. */
export interface CliProcess {
  /** Everything it has written to stdout and stderr so far. */
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts the `tessera` CLI from the checkout, as a user would, and resolves once its output includes
 * `ready`; rejects with that output if it exits first or stays silent past `timeoutMs`.
 */
export async function spawnCli(
  args: string[],
  ready: string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<CliProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "packages/server/src/cli/main.ts", ...args],
    { cwd: REPO, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`${args[0]} did not start:\n${output}`)),
      options.timeoutMs,
    );
    const poll = setInterval(() => {
      if (output.includes(ready)) {
        clearInterval(poll);
        clearTimeout(timer);
        done();
      }
    }, 50);
    child.once("exit", (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      fail(new Error(`${args[0]} exited with ${code}:\n${output}`));
    });
  });
  return {
    output: () => output,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once("exit", () => done());
        child.kill("SIGTERM");
      }),
  };
}

/** Starts `tessera serve` as its own process, exactly as `npm start` does, and waits until it listens. */
export async function startServerProcess(dataDir: string, extraArgs: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const args = ["serve", "--data-dir", dataDir, "--port", String(port), "--log-level", "warn", ...extraArgs];
  const cli = await spawnCli(args, "Tessera listening on", {
    env: { ...process.env, DATABASE_URL: "" },
    timeoutMs: 120_000,
  });
  const token = /^\s+(tsr_mgmt_\S+)$/m.exec(cli.output())?.[1];
  return { url: `http://127.0.0.1:${port}`, token, dataDir, ...cli };
}

/** Runs the `tessera` CLI to completion, as a user would from the checkout. */
export function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "packages/server/src/cli/main.ts", ...args],
    {
      cwd: REPO,
      env: { ...process.env, DATABASE_URL: "" },
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
