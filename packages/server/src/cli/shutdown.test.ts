import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCK_FILE } from "../storage/data-dir-lock";
import { closeWithin } from "./shutdown";

const REPO = resolve(import.meta.dirname, "..", "..", "..", "..");

/**
 * A client that sends a request's headers and part of its body, then nothing: the connection stays busy, so
 * closing the server waits for it (Node's own request timeouts end it a minute or more later).
 */
async function stall(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((done) => socket.once("connect", () => done()));
  socket.on("error", () => {});
  socket.write(
    "POST /v1/check HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{",
  );
  // Answered (401, no token) before the body ends; the connection waits for the rest.
  await new Promise<void>((done) => socket.once("data", () => done()));
  return socket;
}

describe("shutting down with a client that stalls", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("closes the connections still open once the grace period is over", async () => {
    // The server as Fastify runs it: it answers before the body is in, as Tessera's credential hook does.
    const server = createServer((_req, res) => {
      res.writeHead(401).end();
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const socket = await stall((server.address() as AddressInfo).port);
    const gone = new Promise<void>((done) => socket.once("close", () => done()));
    const started = Date.now();
    // Before, the close alone: it waited for the stalled client.
    await closeWithin(server, 300, () => new Promise<void>((done) => server.close(() => done())));
    await gone;
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("exits 0 on a second signal once the close is done, where it used to die mid-close", async () => {
    // tsx (npm start) relays to the server a SIGINT or SIGTERM the whole process group had already, when the
    // server does not tell it within 30 ms that it got it; and people press Ctrl-C twice. Before, the second
    // signal found no listener (`process.once`) and killed the process where it stood: PGlite unflushed, its
    // data folder's lock left behind. Here a server holds a real data-folder lock, and its close, like
    // Tessera's, gives the lock back last, after the HTTP server has closed.
    const dataDir = mkdtempSync(join(tmpdir(), "tessera-shutdown-"));
    dirs.push(dataDir);
    const script = `
      const { createServer } = await import("node:http");
      const { closeOnSignals } = await import(${JSON.stringify(join(import.meta.dirname, "shutdown.ts"))});
      const { lockDataDir } = await import(${JSON.stringify(join(import.meta.dirname, "..", "storage", "data-dir-lock.ts"))});
      const unlock = lockDataDir(${JSON.stringify(dataDir)});
      const server = createServer((_req, res) => res.writeHead(401).end());
      server.listen(0, "127.0.0.1", () => console.log("listening on " + server.address().port));
      closeOnSignals(server, async () => {
        await new Promise((done) => server.close(done));
        await new Promise((done) => setTimeout(done, 300));
        unlock();
      });
    `;
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        cwd: REPO,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
      child.once("exit", (code, signal) => done({ code, signal })),
    );
    try {
      await new Promise<void>((done, fail) => {
        const poll = setInterval(() => {
          if (/listening on \d+/.test(output)) {
            clearInterval(poll);
            done();
          }
        }, 20);
        void exited.then(() => {
          clearInterval(poll);
          fail(new Error(`the server exited:\n${output}`));
        });
      });
      const socket = await stall(Number(/listening on (\d+)/.exec(output)?.[1]));
      child.kill("SIGTERM");
      await new Promise((done) => setTimeout(done, 100));
      const second = Date.now();
      child.kill("SIGTERM");
      expect(await exited, output).toEqual({ code: 0, signal: null });
      // The second signal closed the stalled connection; the grace period (5 s) would have been later.
      expect(Date.now() - second).toBeLessThan(3_000);
      expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
      socket.destroy();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
