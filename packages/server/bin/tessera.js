#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the package works from a checkout with no build step.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const tsx = require.resolve("tsx/cli");
// V8 settings for a server: src/node-flags.ts says why (node-flags.test.ts keeps the two lists the same).
const NODE_FLAGS = ["--max-semi-space-size=64"];
const result = spawnSync(
  process.execPath,
  [tsx, ...NODE_FLAGS, join(here, "..", "src", "cli", "main.ts"), ...process.argv.slice(2)],
  {
    stdio: "inherit",
  },
);
process.exit(result.status ?? 1);
