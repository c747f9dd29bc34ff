/**
 * Requests per second of POST /v1/check, as a share of a bare Fastify route that parses the same JSON body
 * and returns a constant. Each server runs in a child process; autocannon drives it from this process with
 * the same connections, pipelining, duration and bodies.
 *
 * The machine is shared (two cores, and other work comes and goes), so one long run of each server would
 * compare conditions as much as servers. Instead each server's measured time is cut into rounds, and the
 * two take turns: bare then Tessera, then Tessera then bare, and so on. Each round's ratio compares two
 * runs made seconds apart; the share reported is the median of the rounds' ratios, so that a burst of
 * other work during one run moves it little. The req/s columns are each server's requests over all its
 * rounds, and the middle half of the rounds' ratios is printed beside the median. On a VM whose CPU comes
 * and goes, single rounds range from half to twice the median: twenty rounds keep the median steady.
 */

import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus } from "node:os";
import autocannon from "autocannon";
import { SERVER_NODE_FLAGS } from "../packages/server/src/node-flags";
import { todayAnchor } from "./data";
import {
  benchFile,
  forkTs,
  heading,
  int,
  median,
  nextMessage,
  percent,
  sizeLabel,
  stop,
  table,
} from "./harness";
import type {
  LoadCommand,
  Loaded,
  ProfileCommand,
  Profiled,
  Ready,
  SettleCommand,
  Settled,
} from "./http-server";
import { summarizeProfile } from "./profile";

export interface HttpOptions {
  quick: boolean;
  /** Profile the Tessera server over one more measured run at the largest size, and print where it spends. */
  profile: boolean;
}

export const TARGET_SHARE = 0.85;

export interface Load {
  connections: number;
  pipelining: number;
  warmupSeconds: number;
  /** Measured time per server and size, in all. */
  seconds: number;
  /** How many turns the measured time is cut into. */
  rounds: number;
}

export interface HttpRow {
  tenants: number;
  loadMs: number;
  bare: Measured;
  tessera: Measured;
  /** The median of the rounds' ratios. */
  share: number;
  /** Each round's tessera÷bare. */
  rounds: number[];
}

interface Measured {
  perSecond: number;
  p50: number;
  p99: number;
  /** The server's CPU time per request, µs (Linux). */
  cpuMicros: number | undefined;
  problems: string | undefined;
}

export interface HttpSummary {
  rows: HttpRow[];
  targetMet: boolean;
}

export async function runHttp(options: HttpOptions): Promise<HttpSummary> {
  const sizes = options.quick ? [1_000] : [1_000, 10_000, 100_000];
  const load: Load = options.quick
    ? { connections: 10, pipelining: 1, warmupSeconds: 1, seconds: 2, rounds: 2 }
    : { connections: 10, pipelining: 1, warmupSeconds: 1, seconds: 20, rounds: 20 };
  const bodyCount = options.quick ? 1_000 : 4_000;

  heading("HTTP: POST /v1/check against a bare Fastify route");
  console.log(
    `autocannon: ${load.connections} connections, pipelining ${load.pipelining}, ${load.warmupSeconds} s warm-up ` +
      `then ${load.seconds} s measured, per server and size, in ${load.rounds} rounds taken in turns; ` +
      `${int(bodyCount)} distinct check bodies, cycled.`,
  );

  const children: ChildProcess[] = [];
  try {
    const started = process.hrtime.bigint();
    const { bareChild, tesseraChild } = forkServers([]);
    children.push(bareChild, tesseraChild);
    const { bare, tessera } = await bothReady(bareChild, tesseraChild);
    console.log(
      `  servers up in ${int(Number(process.hrtime.bigint() - started) / 1e6)} ms (Tessera: PGlite in memory, migrated, catalog written)`,
    );
    console.log(`  ${pinCores(bareChild.pid, tesseraChild.pid)}`);

    const anchor = todayAnchor();
    const rows: HttpRow[] = [];
    let lastBodies: string[] = [];
    for (const tenants of sizes) {
      process.stdout.write(`  ${sizeLabel(tenants)} tenants: loading… `);
      tesseraChild.send({ type: "load", tenants, anchor, bodies: bodyCount } satisfies LoadCommand);
      const loaded = await nextMessage(
        tesseraChild,
        (m): m is Loaded => (m as Loaded | undefined)?.type === "loaded",
      );
      const headers = {
        "content-type": "application/json",
        authorization: `Bearer ${tessera.token}`,
      };
      // Every body once over HTTP, as traffic would (it also fills each tenant's memo), held to the answers
      // of a snapshot compiled apart.
      const checked = await checkAnswers(tessera.port, loaded.bodies, loaded.expected, headers);
      const statuses = Object.entries(checked.statuses)
        .map(([status, n]) => `${status}×${n}`)
        .join(" ");
      process.stdout.write(
        `${int(loaded.loadMs)} ms; ${int(loaded.bodies.length)} bodies over HTTP: ${statuses}, ` +
          `${int(checked.agreed)} agree with a snapshot compiled apart. `,
      );
      const [bareHeap, tesseraHeap] = await Promise.all([settle(bareChild), settle(tesseraChild)]);
      process.stdout.write(
        `Live heap: bare ${megabytes(bareHeap)}, Tessera ${megabytes(tesseraHeap)}. Measuring… `,
      );
      lastBodies = loaded.bodies;
      const row = await measurePair(
        { port: bare.port, pid: bareChild.pid },
        { port: tessera.port, pid: tesseraChild.pid },
        loaded.bodies,
        headers,
        load,
      );
      rows.push({ tenants, loadMs: loaded.loadMs, ...row });
      console.log(`${percent(row.share)}`);
    }

    console.log();
    console.log(
      table(
        [
          "tenants",
          "bare req/s",
          "tessera req/s",
          "tessera÷bare",
          "middle half",
          "server CPU/req bare",
          "tessera",
          "bare p50/p99",
          "tessera p50/p99",
        ],
        rows.map((r) => [
          sizeLabel(r.tenants),
          int(r.bare.perSecond),
          int(r.tessera.perSecond),
          percent(r.share),
          `${percent(quantile(r.rounds, 0.25))}–${percent(quantile(r.rounds, 0.75))}`,
          micros(r.bare.cpuMicros),
          micros(r.tessera.cpuMicros),
          `${r.bare.p50}/${r.bare.p99} ms`,
          `${r.tessera.p50}/${r.tessera.p99} ms`,
        ]),
      ),
    );
    for (const r of rows) {
      for (const [name, m] of [
        ["bare", r.bare],
        ["tessera", r.tessera],
      ] as const) {
        if (m.problems) console.log(`  ! ${sizeLabel(r.tenants)} ${name}: ${m.problems}`);
      }
    }
    const missed = rows.filter((r) => r.share < TARGET_SHARE);
    const targetMet = missed.length === 0;
    console.log(
      "tessera÷bare: the median of the rounds' ratios (their middle half beside it); req/s: over all the rounds; " +
        "server CPU/req: the server process's CPU time (user + system) over its requests.",
    );
    console.log(
      `Target ≥ ${percent(TARGET_SHARE)} of the bare route: ${
        targetMet ? "met at every size" : `MISSED at ${missed.map((r) => sizeLabel(r.tenants)).join(", ")}`
      }.`,
    );
    if (options.profile || !targetMet) {
      const last = sizes[sizes.length - 1]!;
      heading(`Profile: the Tessera server under the same load, ${sizeLabel(last)} tenants`);
      const headers = { "content-type": "application/json", authorization: `Bearer ${tessera.token}` };
      const isProfiled = (m: unknown): m is Profiled => (m as Profiled | undefined)?.type === "profiled";
      tesseraChild.send({ type: "profile", action: "start" } satisfies ProfileCommand);
      await nextMessage(tesseraChild, isProfiled);
      const profiled = await measure(tessera.port, lastBodies, headers, load);
      tesseraChild.send({ type: "profile", action: "stop" } satisfies ProfileCommand);
      const { path } = await nextMessage(tesseraChild, isProfiled);
      console.log(`${int(profiled.perSecond)} req/s while profiled.`);
      if (path) {
        console.log(summarizeProfile(path, 25, "busy"));
        console.log(`\nFull profile: ${path}`);
      }
    }
    return { rows, targetMet };
  } finally {
    await Promise.all(children.map((c) => stop(c)));
    unpinSelf();
  }
}

/**
 * The bench's two servers (http-server.ts) as child processes with the same V8 flags: the bare route, and
 * Tessera with `tesseraArgs` (`stages` adds the stage routes). `flags` go to both, before the server's own.
 */
export function forkServers(tesseraArgs: readonly string[], flags: readonly string[] = []) {
  const execArgv = ["--expose-gc", ...flags, ...SERVER_NODE_FLAGS];
  return {
    bareChild: forkTs(benchFile("./http-server.ts"), ["bare"], execArgv),
    tesseraChild: forkTs(benchFile("./http-server.ts"), ["tessera", ...tesseraArgs], execArgv),
  };
}

/** Resolves once both servers listen, with their ports and Tessera's token. */
export async function bothReady(
  bareChild: ChildProcess,
  tesseraChild: ChildProcess,
): Promise<{ bare: Ready; tessera: Ready }> {
  const isReady = (m: unknown): m is Ready => (m as Ready | undefined)?.type === "ready";
  const [bare, tessera] = await Promise.all([
    nextMessage(bareChild, isReady),
    nextMessage(tesseraChild, isReady),
  ]);
  return { bare, tessera };
}

/**
 * The load generator on core 0 and both servers on the other cores, every thread of each process, when
 * taskset is there and the machine has two cores or more. Unpinned, autocannon, the server under test and
 * its GC threads trade places on two cores, and which of them the scheduler slows changes from round to
 * round; pinned, each server meets the same load generator from the same core. Says what it did.
 */
export function pinCores(...servers: (number | undefined)[]): string {
  const count = cpus().length;
  if (count < 2) return "one core: load generator and servers share it.";
  const rest = count === 2 ? "1" : `1-${count - 1}`;
  try {
    execFileSync("taskset", ["-a", "-c", "-p", "0", String(process.pid)], { stdio: "ignore" });
    for (const pid of servers) {
      if (pid !== undefined)
        execFileSync("taskset", ["-a", "-c", "-p", rest, String(pid)], { stdio: "ignore" });
    }
    return `pinned: autocannon on core 0, the servers on core ${rest}.`;
  } catch {
    return "not pinned (no taskset): autocannon and the servers share the cores.";
  }
}

/** Gives this process every core again, for the benchmarks that follow (and the children they start). */
export function unpinSelf(): void {
  const count = cpus().length;
  try {
    execFileSync("taskset", ["-a", "-c", "-p", `0-${count - 1}`, String(process.pid)], { stdio: "ignore" });
  } catch {
    // Never pinned.
  }
}

/** Sends each body once (ten at a time, over keep-alive connections) and compares the answers. */
async function checkAnswers(
  port: number,
  bodies: readonly string[],
  expected: readonly string[],
  headers: Record<string, string>,
): Promise<{ statuses: Record<string, number>; agreed: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 10 });
  const statuses: Record<string, number> = {};
  let agreed = 0;
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const i = next++;
      const { status, body } = await post(agent, port, bodies[i]!, headers);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status !== 200) continue;
      const got = JSON.parse(body) as { entitled: boolean; reason: string };
      if (`${got.entitled}/${got.reason}` === expected[i]) agreed++;
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  agent.destroy();
  return { statuses, agreed };
}

function post(
  agent: Agent,
  port: number,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: "127.0.0.1", port, method: "POST", path: "/v1/check", headers },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** One autocannon run against one server. */
export function run(
  port: number,
  bodies: string[],
  headers: Record<string, string>,
  load: Load,
  seconds: number,
  path = "/v1/check",
): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: load.connections,
    pipelining: load.pipelining,
    method: "POST",
    headers,
    requests: bodies.map((body) => ({ method: "POST" as const, path, body })),
    duration: seconds,
  });
}

/**
 * Both servers under the same load: each warmed up, then measured in `load.rounds` rounds that alternate
 * which server goes first.
 */
async function measurePair(
  bareServer: Server,
  tesseraServer: Server,
  bodies: string[],
  headers: Record<string, string>,
  load: Load,
): Promise<Pick<HttpRow, "bare" | "tessera" | "share" | "rounds">> {
  const turn = async (server: Server, seconds: number): Promise<Run> => {
    const before = cpuSeconds(server.pid);
    const result = await run(server.port, bodies, headers, load, seconds);
    const after = cpuSeconds(server.pid);
    return { result, cpu: before === undefined || after === undefined ? undefined : after - before };
  };
  await turn(bareServer, load.warmupSeconds);
  await turn(tesseraServer, load.warmupSeconds);
  const seconds = load.seconds / load.rounds;
  const bare: Run[] = [];
  const tessera: Run[] = [];
  for (let round = 0; round < load.rounds; round++) {
    if (round % 2 === 0) {
      bare.push(await turn(bareServer, seconds));
      tessera.push(await turn(tesseraServer, seconds));
    } else {
      tessera.push(await turn(tesseraServer, seconds));
      bare.push(await turn(bareServer, seconds));
    }
  }
  const rounds = tessera.map((t, i) => rate(t.result) / rate(bare[i]!.result));
  return { bare: summarize(bare), tessera: summarize(tessera), share: median(rounds), rounds };
}

interface Server {
  port: number;
  pid: number | undefined;
}

/** One autocannon run, and the CPU time the server spent meanwhile. */
interface Run {
  result: autocannon.Result;
  cpu: number | undefined;
}

/**
 * A process's CPU time so far (user and system), in seconds, from /proc; undefined where there is none.
 * It shows what each request costs the server itself, whatever the load generator on the same cores costs.
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are
    // the 14th and 15th fields of the line, the 12th and 13th after the name.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux that matters here. */
const CLOCK_TICKS = 100;

/** One server alone, for the whole measured time and without a warm-up (the profiled run). */
async function measure(
  port: number,
  bodies: string[],
  headers: Record<string, string>,
  load: Load,
): Promise<Measured> {
  return summarize([{ result: await run(port, bodies, headers, load, load.seconds), cpu: undefined }]);
}

/** A full collection in a server child (http-server.ts, SettleCommand); its live bytes after it. */
export async function settle(child: ChildProcess): Promise<number | undefined> {
  child.send({ type: "settle" } satisfies SettleCommand);
  const settled = await nextMessage(
    child,
    (m): m is Settled => (m as Settled | undefined)?.type === "settled",
  );
  return settled.heapBytes;
}

function megabytes(bytes: number | undefined): string {
  return bytes === undefined ? "n/a" : `${int(bytes / 1e6)} MB`;
}

/** The value below which a share `q` of the values lie (nearest rank). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function micros(value: number | undefined): string {
  return value === undefined ? "n/a" : `${value.toFixed(1)} µs`;
}

function rate(result: autocannon.Result): number {
  return result.requests.total / result.duration;
}

/** Requests per second over all the runs; latencies, the worst run's. */
function summarize(runs: Run[]): Measured {
  const results = runs.map((r) => r.result);
  const sum = (f: (r: autocannon.Result) => number) => results.reduce((total, r) => total + f(r), 0);
  const cpu = runs.every((r) => r.cpu !== undefined)
    ? runs.reduce((total, r) => total + r.cpu!, 0)
    : undefined;
  const non2xx = sum((r) => r.non2xx);
  const errors = sum((r) => r.errors);
  const timeouts = sum((r) => r.timeouts);
  const problems = [
    non2xx > 0 ? `${int(non2xx)} non-2xx responses` : "",
    errors > 0 ? `${int(errors)} errors` : "",
    timeouts > 0 ? `${int(timeouts)} timeouts` : "",
  ]
    .filter((p) => p !== "")
    .join(", ");
  return {
    perSecond: sum((r) => r.requests.total) / sum((r) => r.duration),
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    cpuMicros: cpu === undefined ? undefined : (cpu * 1e6) / sum((r) => r.requests.total),
    problems: problems === "" ? undefined : problems,
  };
}
