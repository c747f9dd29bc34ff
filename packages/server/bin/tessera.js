#!/usr/bin/env node
// Runs the TypeScript CLI with tsx's loader, so the package works from a checkout with no build step.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
// The loader in this Node process's child itself, not tsx's CLI: that one runs the script in a process of
// its own, and on a signal gives it 60 ms to answer before it kills it (SIGKILL): on a busy machine, a
// server cut off mid-close, PGlite unflushed.
const tsx = pathToFileURL(require.resolve("tsx")).href;
// V8 settings for a server: src/node-flags.ts says why (node-flags.test.ts keeps the two lists the same).
const NODE_FLAGS = ["--max-semi-space-size=64"];
const child = spawn(
  process.execPath,
  [...NODE_FLAGS, "--import", tsx, join(here, "..", "src", "cli", "main.ts"), ...process.argv.slice(2)],
  { stdio: "inherit" },
);
// A supervisor (Docker's PID 1, systemd, a process manager) signals this process alone: pass the signal on,
// and wait for the server to close its database and release its data folder. Exiting here instead would
// leave it running, holding the port and the folder's lock.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  if (signal) {
    // Die of the same signal, so whoever started this sees what happened to the server.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
child.on("error", (error) => {
  console.error(`Could not start the CLI: ${error.message}`);
  process.exit(1);
});
