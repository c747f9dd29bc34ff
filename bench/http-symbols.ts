/**
 * Where POST /v1/check spends what the bare route does not, symbol by symbol: `npm run bench -- --only symbols`.
 *
 * A diagnostic, not a goal (it is not part of a default run), and it needs Linux `perf` with the right to
 * record another process (root, or kernel.perf_event_paranoid ≤ 1); without it, it says so and stops.
 *
 * V8's own profiler (`--profile`) sees JavaScript functions only: the builtins they call (a Map lookup,
 * a megamorphic property load), the C++ of Node and V8, and the kernel all fold into "(program)" or into
 * their caller. Inside a request most of a decision's cost is cache misses in exactly those places. `perf`
 * samples every one of them: the two servers run with `--perf-basic-prof` (so that perf can name the
 * functions V8 compiled), each is recorded under the same autocannon load, and each symbol's share of the
 * samples becomes microseconds of CPU per request. The table lists the symbols whose cost differs most.
 *
 * One recording per server: single figures move by a few tenths of a microsecond between runs, and the
 * totals with the machine's state, so read the larger differences and the symbols Tessera alone has.
 * `--perf-basic-prof`'s map keeps every name a code address ever had, and perf takes the first: code V8
 * compiled where older code was freed can show under the old name (a PGlite or loader function in the table
 * is such a name, not work done per request).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { todayAnchor } from "./data";
import { heading, int, nextMessage, sizeLabel, stop, table } from "./harness";
import { bothReady, forkServers, type Load, pinCores, run, settle, unpinSelf } from "./http";
import type { LoadCommand, Loaded } from "./http-server";

export interface SymbolsOptions {
  quick: boolean;
}

/** CPU microseconds per request, by symbol. */
type Costs = Map<string, number>;

export async function runSymbols(options: SymbolsOptions): Promise<void> {
  heading("HTTP symbols: where POST /v1/check's CPU goes, beside the bare route's (perf)");
  if (!perfWorks()) {
    console.log(
      "  skipped: `perf record` is not available here (install linux-perf, and run as root or with " +
        "kernel.perf_event_paranoid ≤ 1).",
    );
    return;
  }
  const tenants = options.quick ? 1_000 : 10_000;
  const seconds = options.quick ? 2 : 8;
  const load: Load = { connections: 10, pipelining: 1, warmupSeconds: 2, seconds, rounds: 1 };
  const folder = mkdtempSync(join(tmpdir(), "tessera-bench-perf-"));
  // --perf-basic-prof also opens V8's log, by default one file per isolate in the working directory (the
  // repository): into the scratch folder instead, one per process.
  const { bareChild, tesseraChild } = forkServers(
    [],
    ["--perf-basic-prof", "--no-logfile-per-isolate", `--logfile=${join(folder, "v8-%p.log")}`],
  );
  try {
    const { bare, tessera } = await bothReady(bareChild, tesseraChild);
    console.log(`  ${pinCores(bareChild.pid, tesseraChild.pid)}`);
    tesseraChild.send({ type: "load", tenants, anchor: todayAnchor(), bodies: 4_000 } satisfies LoadCommand);
    const { bodies } = await nextMessage(
      tesseraChild,
      (m): m is Loaded => (m as Loaded | undefined)?.type === "loaded",
    );
    await Promise.all([settle(bareChild), settle(tesseraChild)]);
    const headers = { "content-type": "application/json", authorization: `Bearer ${tessera.token}` };
    const servers = [
      { name: "bare", port: bare.port, pid: bareChild.pid! },
      { name: "tessera", port: tessera.port, pid: tesseraChild.pid! },
    ];
    for (const s of servers) await run(s.port, bodies, headers, load, load.warmupSeconds);

    const costs: Costs[] = [];
    for (const s of servers) {
      const file = join(folder, `${s.name}.data`);
      const recorder = spawn(
        "perf",
        ["record", "-e", "cpu-clock", "-F", "2000", "-o", file, "-p", String(s.pid)],
        { stdio: "ignore" },
      );
      // perf needs a moment to attach before the load starts.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const result = await run(s.port, bodies, headers, load, seconds);
      recorder.kill("SIGINT");
      await new Promise((resolve) => recorder.on("exit", resolve));
      costs.push(perRequest(file, result.requests.total));
      console.log(`  ${s.name}: ${int(result.requests.total / result.duration)} req/s while recorded`);
    }
    print(costs[0]!, costs[1]!, tenants);
  } finally {
    await Promise.all([stop(bareChild), stop(tesseraChild)]);
    unpinSelf();
    rmSync(folder, { recursive: true, force: true });
    for (const child of [bareChild, tesseraChild]) rmSync(`/tmp/perf-${child.pid}.map`, { force: true });
  }
}

function perfWorks(): boolean {
  try {
    execFileSync("perf", ["record", "-e", "cpu-clock", "-o", "/dev/null", "--", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Each symbol's CPU per request, µs: its share of the samples times the recorded CPU time (cpu-clock, ns). */
function perRequest(file: string, requests: number): Costs {
  const report = (...args: string[]) =>
    execFileSync("perf", ["report", "-i", file, "--stdio", ...args], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      stdio: ["ignore", "pipe", "ignore"],
    });
  const events = Number(/Event count \(approx\.\): (\d+)/.exec(report("--sort", "dso"))?.[1] ?? Number.NaN);
  const micros = events / 1_000 / requests;
  const costs: Costs = new Map();
  for (const line of report("--no-children", "--sort", "sym").split("\n")) {
    // "    12.34%  [.] symbol" ([k] for the kernel)
    const match = /^\s+([\d.]+)%\s+\[[^\]]+\]\s+(.+)$/.exec(line);
    if (!match) continue;
    const symbol = match[2]!.trim();
    costs.set(symbol, (costs.get(symbol) ?? 0) + (Number(match[1]) / 100) * micros);
  }
  return costs;
}

function print(bare: Costs, tessera: Costs, tenants: number): void {
  const total = (costs: Costs) => [...costs.values()].reduce((a, b) => a + b, 0);
  const rows = [...new Set([...bare.keys(), ...tessera.keys()])]
    .map((symbol) => ({ symbol, bare: bare.get(symbol) ?? 0, tessera: tessera.get(symbol) ?? 0 }))
    .sort((a, b) => Math.abs(b.tessera - b.bare) - Math.abs(a.tessera - a.bare))
    .slice(0, 30);
  const us = (n: number) => n.toFixed(2);
  const signed = (n: number) => `${n >= 0 ? "+" : ""}${n.toFixed(2)}`;
  console.log(
    `\n  ${sizeLabel(tenants)} tenants: CPU per request, µs: bare ${us(total(bare))}, Tessera ${us(total(tessera))}`,
  );
  console.log(
    table(
      ["symbol", "bare", "tessera", "difference"],
      rows.map((r) => [short(r.symbol), us(r.bare), us(r.tessera), signed(r.tessera - r.bare)]),
      [0],
    ),
  );
  console.log(
    "JS:* is code V8 optimised, JS:^ baseline code; Builtins_* are V8's builtins (FindOrderedHashMapEntry is a " +
      "Map lookup); the rest is Node, V8's C++, libc and the kernel.",
  );
}

/** A symbol without the long part of its file path. */
function short(symbol: string): string {
  const trimmed = symbol.replace(/(file:\/\/)?\/\S*\/(node_modules|packages|bench)\//, "$2/");
  return trimmed.length > 100 ? `${trimmed.slice(0, 99)}…` : trimmed;
}
