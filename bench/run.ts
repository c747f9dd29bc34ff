/**
 * npm run bench [-- --quick] [-- --only evaluator|http|access|relations|stages|symbols|compare] [-- --profile]
 *
 * Runs the evaluator benchmark, then the HTTP one, then API access (guard and gateway), then relations;
 * `stages` and `symbols` (where /v1/check's time goes, by stage and by symbol) and `compare` (this tree's
 * evaluator against another revision's, `--against`) are diagnostics that run only when asked for. Every
 * goal is a ratio against a baseline measured in the same run. Benchmarks are not tests: nothing here fails
 * a build for being slow; the exit status is non-zero only if a benchmark could not run.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { run as runAccess } from "./access";
import { runEvaluator } from "./evaluator";
import { runCompare } from "./evaluator-compare";
import { benchFile, elapsedMs, heading } from "./harness";
import { runHttp } from "./http";
import { runStages } from "./http-stages";
import { runSymbols } from "./http-symbols";

const PARTS = ["evaluator", "http", "access", "relations", "stages", "symbols", "compare"] as const;
type Part = (typeof PARTS)[number];
/** Diagnostics: run with --only, never by default. */
const ON_REQUEST: readonly Part[] = ["stages", "symbols", "compare"];

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      profile: { type: "boolean", default: false },
      against: { type: "string", default: "HEAD" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "npm run bench -- [--quick] [--only evaluator|http|access|relations|stages|symbols|compare] [--profile]\n" +
        "  --quick    smaller sizes and shorter rounds: a smoke run\n" +
        "  --only     run one part; stages (what each part of POST /v1/check adds to the bare route), symbols\n" +
        "             (the same, symbol by symbol, with Linux perf) and compare (this tree's evaluator against\n" +
        "             another revision's, in alternating rounds in one process) run only when named\n" +
        "  --against  the revision compare measures against (default HEAD)\n" +
        "  --profile  also profile the evaluator and the server at the largest size, and print where the time goes\n" +
        "             (done anyway when a target is missed)",
    );
    process.exit(0);
  }
  const only = values.only;
  if (only !== undefined && !PARTS.includes(only as Part)) {
    throw new Error(`--only takes one of ${PARTS.join(", ")}; got "${only}"`);
  }
  return {
    quick: values.quick,
    only: only as Part | undefined,
    profile: values.profile,
    against: values.against,
  };
}

/**
 * bench/relations.ts belongs to the relationship engine's owner. If it exports `run`, we call it with our
 * options; otherwise it runs on import, so we run it as a process of its own rather than import it.
 */
async function runRelations(quick: boolean): Promise<void> {
  const file = benchFile("./relations.ts");
  heading("Relations");
  if (!existsSync(file)) {
    console.log("bench/relations.ts does not exist yet: skipped.");
    return;
  }
  const source = readFileSync(file, "utf8");
  const exportsRun =
    /export\s+(async\s+)?function\s+run\b/.test(source) ||
    /export\s+(const|let)\s+run\b/.test(source) ||
    /export\s*\{[^}]*\brun\b[^}]*\}/.test(source);
  if (exportsRun) {
    const module = (await import(file)) as { run: (options: { quick: boolean }) => unknown };
    await module.run({ quick });
    return;
  }
  await new Promise<void>((resolve, reject) => {
    // Its header asks for --expose-gc, to report the heap it holds.
    const args = ["--expose-gc", "--import", "tsx", file, ...(quick ? ["--quick"] : [])];
    const child = spawn(process.execPath, args, {
      stdio: "inherit",
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`bench/relations.ts exited with code ${code}`)),
    );
  });
}

/** Other work on the machine slows every number here; say how much there was. */
function load(): string {
  const [one, five] = loadavg();
  const busy = (one ?? 0) > cpus().length ? " (busy machine: rates are understated and noisy)" : "";
  return `load average ${one?.toFixed(2)} (1 min), ${five?.toFixed(2)} (5 min)${busy}`;
}

async function main(): Promise<void> {
  const { quick, only, profile, against } = options();
  const start = process.hrtime.bigint();
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `Tessera benchmarks${quick ? " (quick)" : ""}: Node ${process.version}, ${cpus().length} × ${cpu}, ` +
      `${new Date().toISOString()}; ${load()}`,
  );

  const run = (part: Part) => only === part || (only === undefined && !ON_REQUEST.includes(part));
  const failures: string[] = [];
  const attempt = async (part: Part, work: () => Promise<unknown>) => {
    if (!run(part)) return;
    try {
      await work();
    } catch (error) {
      failures.push(part);
      console.error(`\n${part} failed:`, error instanceof Error ? (error.stack ?? error.message) : error);
    }
  };

  await attempt("evaluator", () => runEvaluator({ quick, profile }));
  await attempt("http", () => runHttp({ quick, profile }));
  await attempt("access", () => runAccess({ quick }));
  await attempt("relations", () => runRelations(quick));
  await attempt("stages", () => runStages({ quick }));
  await attempt("symbols", () => runSymbols({ quick }));
  await attempt("compare", () => runCompare({ quick, against }));

  console.log(`\nDone in ${(elapsedMs(start) / 1000).toFixed(0)} s; ${load()}.`);
  if (failures.length > 0) {
    console.error(`Could not run: ${failures.join(", ")}.`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
