/**
 * In-process decisions per second of Tessera's evaluator, beside CASL and casbin answering the same
 * questions over the same data, at several catalog sizes. Each size runs in a child process of its own.
 */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { todayAnchor } from "./data";
import type { CaseInput, CaseResult, LibraryResult } from "./evaluator-case";
import { benchFile, childAnswer, heading, int, percent, rate, ratio, sizeLabel, table } from "./harness";
import { megabytes, memoryProfile } from "./memory";
import { summarizeProfile } from "./profile";

export interface EvaluatorOptions {
  quick: boolean;
  /** Record a CPU profile of Tessera alone at the largest size, and print where the time goes. */
  profile: boolean;
}

/** The target, and what "flat" means: the largest catalog may cost at most this much more per decision. */
export const TARGET_PER_SECOND = 1_000_000;
const FLAT_WITHIN = 1.25;

export interface EvaluatorSummary {
  results: CaseResult[];
  targetMet: boolean;
  flatness: number | undefined;
}

export async function runEvaluator(options: EvaluatorOptions): Promise<EvaluatorSummary> {
  const sizes = options.quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  const timing = options.quick
    ? { warmupMs: 200, roundMs: 300, rounds: 2 }
    : { warmupMs: 1_000, roundMs: 1_000, rounds: 3 };
  const requests = options.quick ? 5_000 : 20_000;
  const anchor = todayAnchor();

  heading("Evaluator: in-process decisions per second, one core");
  console.log(
    `${int(requests)} fixed check requests over random tenants, cycled; each rate is the median of ` +
      `${timing.rounds} rounds of ≥ ${timing.roundMs} ms after ${timing.warmupMs} ms of warm-up.`,
  );

  const results: CaseResult[] = [];
  for (const tenants of sizes) {
    const input: CaseInput = {
      tenants,
      requests,
      anchor,
      timing,
      agreementSample: options.quick ? 1_000 : 3_000,
      tesseraOnly: false,
    };
    process.stdout.write(`  ${sizeLabel(tenants)} tenants… `);
    const result = await runCase(input, ["--expose-gc"]);
    results.push(result);
    console.log(
      `tessera ${rate(result.tessera.perSecond)}/s, casl ${rate(result.casl?.perSecond ?? 0)}/s, ` +
        `casbin ${rate(result.casbin?.perSecond ?? 0)}/s`,
    );
  }

  const first = results[0]!;
  console.log();
  console.log(
    table(
      [
        "tenants",
        "compile",
        "snapshot memory",
        "tessera/s",
        "ns/decision",
        "same questions/s",
        "casl/s",
        "casbin/s",
        "tessera÷casl",
        "tessera÷casbin",
      ],
      results.map((r) => [
        sizeLabel(r.tenants),
        `${int(r.compileMs)} ms`,
        r.snapshotBytes === undefined ? "n/a" : `${(r.snapshotBytes / 2 ** 20).toFixed(0)} MB`,
        rate(r.tessera.perSecond),
        (1e9 / r.tessera.perSecond).toFixed(0),
        r.sameQuestions ? rate(r.sameQuestions.perSecond) : rate(r.tessera.perSecond),
        r.casl ? rate(r.casl.perSecond) : "-",
        r.casbin ? rate(r.casbin.perSecond) : "-",
        r.casl ? ratio(r.tessera.perSecond / r.casl.perSecond) : "-",
        r.casbin ? ratio(r.tessera.perSecond / r.casbin.perSecond) : "-",
      ]),
    ),
  );

  const mix = Object.entries(first.mix)
    .map(([kind, n]) => `${kind} ${percent(n / first.requests)}`)
    .join(", ");
  console.log(`\nRequests: ${mix}; ${percent(first.denied / first.requests)} denied.`);
  console.log(
    `Rounds (decisions/s): ${results
      .map((r) => `${sizeLabel(r.tenants)}: ${r.tessera.rounds.map(rate).join(" / ")}`)
      .join("; ")}`,
  );

  const last = results[results.length - 1]!;
  const flatness = first.tessera.perSecond / last.tessera.perSecond;
  const flat = flatness <= FLAT_WITHIN;
  console.log(
    `Flat cost: ns/decision at ${sizeLabel(last.tenants)} ÷ at ${sizeLabel(first.tenants)} = ` +
      `${flatness.toFixed(2)} (${flat ? "flat" : "NOT flat"}; flat means ≤ ${FLAT_WITHIN}).`,
  );
  const sameLast = last.sameQuestions;
  if (sameLast) {
    const sameFlatness = first.tessera.perSecond / sameLast.perSecond;
    console.log(
      `Same questions on a bigger catalog: the ${sizeLabel(first.tenants)} size's requests asked of the ` +
        `${sizeLabel(last.tenants)} snapshot run at ${rate(sameLast.perSecond)}/s, ` +
        `${sameFlatness.toFixed(2)}× the cost at ${sizeLabel(first.tenants)} ` +
        `(${sameFlatness <= FLAT_WITHIN ? "flat" : "NOT flat"}). Requests spread over every tenant instead ` +
        "touch memory the CPU cache cannot hold; that, not the catalog, is the gap in the line above.",
    );
  }
  if (!options.quick) printMemoryFloor(first, last);
  const missed = results.filter((r) => r.tessera.perSecond < TARGET_PER_SECOND);
  const targetMet = missed.length === 0;
  console.log(
    `Target ≥ ${rate(TARGET_PER_SECOND)} decisions/s per core: ${
      targetMet ? "met at every size" : `MISSED at ${missed.map((r) => sizeLabel(r.tenants)).join(", ")}`
    }.`,
  );

  console.log("\nBaselines (setup = resolving plans, grants and flags at this instant, then building):");
  for (const r of results) {
    const line = (name: string, lib: LibraryResult | undefined) =>
      lib
        ? `  ${sizeLabel(r.tenants).padEnd(5)} ${name.padEnd(7)} setup ${int(lib.setupMs).padStart(6)} ms ` +
          `(${lib.detail}); agrees with tessera on ${percent(lib.agreement)} of the first ` +
          `${int(Math.min(r.requests, options.quick ? 1_000 : 3_000))} answers`
        : undefined;
    for (const text of [line("casl", r.casl), line("casbin", r.casbin)]) if (text) console.log(text);
    for (const m of [...(r.casl?.mismatches ?? []), ...(r.casbin?.mismatches ?? [])]) console.log(`    ${m}`);
  }
  console.log(
    "  casbin is timed with enforceSync(), its fastest entry point; enforce() is the same work behind a promise.",
  );

  if (options.profile || !targetMet || !flat) await profile(last.tenants, requests, anchor, timing);

  return { results, targetMet, flatness };
}

/**
 * The yardstick for the flat-cost line: what a read from memory costs on this machine, measured now over a
 * buffer about the size of the largest snapshot, and the floor it sets for the cost at the largest size.
 */
function printMemoryFloor(first: CaseResult, last: CaseResult): void {
  const snapshot = last.snapshotBytes ?? 0;
  let bytes = 64 * 2 ** 20;
  while (bytes < snapshot) bytes *= 2;
  const memory = memoryProfile(bytes);
  const firstNs = 1e9 / first.tessera.perSecond;
  const floor = (firstNs + memory.missNs) / firstNs;
  console.log(
    `Memory on this machine: a read that depends on the one before costs ${memory.hitNs.toFixed(0)} ns in ` +
      `cache and ${memory.missNs.toFixed(0)} ns across ${megabytes(bytes)} (about the ` +
      `${sizeLabel(last.tenants)} snapshot); reads stay cheap up to about ${megabytes(memory.cacheBytes)} ` +
      `(${memory.sweep.map(([b, ns]) => `${megabytes(b)} ${ns.toFixed(0)}`).join(", ")} ns).`,
  );
  console.log(
    `  At ${sizeLabel(last.tenants)} the ${int(last.requests)} requests name ${int(last.distinctTenants)} ` +
      "tenants, so a tenant's data comes round again only after thousands of other decisions and megabytes " +
      "of requests: a decision there pays at least one read from memory more than at " +
      `${sizeLabel(first.tenants)}. Floor for the flat-cost ratio on this machine: ` +
      `(${firstNs.toFixed(0)} + ${memory.missNs.toFixed(0)}) ÷ ${firstNs.toFixed(0)} = ${floor.toFixed(2)}` +
      `${floor > FLAT_WITHIN ? `, above the ${FLAT_WITHIN} bar` : ""}.`,
  );
}

function runCase(input: CaseInput, execArgv: string[], entry?: string): Promise<CaseResult> {
  return childAnswer(
    entry ?? benchFile("./evaluator-case.ts"),
    [JSON.stringify(input)],
    execArgv,
    (m): m is CaseResult => (m as CaseResult | undefined)?.type === "case-result",
  );
}

/**
 * Times Tessera alone under the V8 CPU profiler and prints the functions and lines that take the time.
 * tsx hands V8 each module as one line, which hides where in a function the time goes; so, when esbuild
 * (tsx's own dependency) can be loaded, the case is bundled to plain JavaScript first and profiled as that.
 */
async function profile(
  tenants: number,
  requests: number,
  anchor: number,
  timing: CaseInput["timing"],
): Promise<void> {
  heading(`Profile: Tessera alone at ${sizeLabel(tenants)} tenants`);
  const dir = mkdtempSync(join(tmpdir(), "tessera-bench-prof-"));
  const bundle = await bundleCase(dir);
  const input = { tenants, requests, anchor, timing, agreementSample: 0, tesseraOnly: true };
  await runCase(input, ["--cpu-prof", `--cpu-prof-dir=${dir}`], bundle);
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) {
    console.log(`No profile was written to ${dir}.`);
    return;
  }
  console.log(summarizeProfile(join(dir, file), 15));
  console.log(`\nFull profile: ${join(dir, file)} (Chrome DevTools › Performance, or speedscope).`);
}

interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

async function bundleCase(dir: string): Promise<string | undefined> {
  const name = "esbuild";
  try {
    const esbuild = (await import(name)) as Esbuild;
    const outfile = join(dir, "evaluator-case.mjs");
    await esbuild.build({
      entryPoints: [benchFile("./evaluator-case.ts")],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      logLevel: "warning",
      // casbin is CommonJS and requires Node built-ins.
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    return outfile;
  } catch (error) {
    console.log(`(esbuild unavailable, profiling under tsx: functions only: ${(error as Error).message})`);
    return undefined;
  }
}
