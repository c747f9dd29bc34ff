/**
 * Requests per second of POST /v1/check, as a share of a bare Fastify route that parses the same JSON body
 * and returns a constant. Each server runs in a child process; autocannon drives it from this process with
 * the same connections, pipelining, duration and bodies. The bare route is measured right before Tessera at
 * every data size, so each ratio compares two runs made under the same conditions.
 */

import type { ChildProcess } from "node:child_process";
import autocannon from "autocannon";
import { todayAnchor } from "./data";
import { benchFile, forkTs, heading, int, nextMessage, percent, sizeLabel, stop, table } from "./harness";
import type { LoadCommand, Loaded, ProfileCommand, Profiled, Ready } from "./http-server";
import { summarizeProfile } from "./profile";

export interface HttpOptions {
  quick: boolean;
  /** Profile the Tessera server over one more measured run at the largest size, and print where it spends. */
  profile: boolean;
}

export const TARGET_SHARE = 0.85;

interface Load {
  connections: number;
  pipelining: number;
  warmupSeconds: number;
  seconds: number;
}

export interface HttpRow {
  tenants: number;
  loadMs: number;
  bare: Measured;
  tessera: Measured;
  share: number;
}

interface Measured {
  perSecond: number;
  p50: number;
  p99: number;
  problems: string | undefined;
}

export interface HttpSummary {
  rows: HttpRow[];
  targetMet: boolean;
}

export async function runHttp(options: HttpOptions): Promise<HttpSummary> {
  const sizes = options.quick ? [1_000] : [1_000, 10_000, 100_000];
  const load: Load = options.quick
    ? { connections: 10, pipelining: 1, warmupSeconds: 1, seconds: 2 }
    : { connections: 10, pipelining: 1, warmupSeconds: 1, seconds: 5 };
  const bodyCount = options.quick ? 1_000 : 4_000;

  heading("HTTP: POST /v1/check against a bare Fastify route");
  console.log(
    `autocannon: ${load.connections} connections, pipelining ${load.pipelining}, ${load.warmupSeconds} s warm-up ` +
      `then ${load.seconds} s measured, per server and size; ${int(bodyCount)} distinct check bodies, cycled.`,
  );

  const children: ChildProcess[] = [];
  try {
    const started = process.hrtime.bigint();
    const bareChild = forkTs(benchFile("./http-server.ts"), ["bare"]);
    const tesseraChild = forkTs(benchFile("./http-server.ts"), ["tessera"]);
    children.push(bareChild, tesseraChild);
    const isReady = (m: unknown): m is Ready => (m as Ready | undefined)?.type === "ready";
    const [bare, tessera] = await Promise.all([
      nextMessage(bareChild, isReady),
      nextMessage(tesseraChild, isReady),
    ]);
    console.log(
      `  servers up in ${int(Number(process.hrtime.bigint() - started) / 1e6)} ms (Tessera: PGlite in memory, migrated, catalog written)`,
    );

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
      const statuses = Object.entries(loaded.statuses)
        .map(([status, n]) => `${status}×${n}`)
        .join(" ");
      process.stdout.write(
        `${int(loaded.loadMs)} ms; in-process check of ${int(loaded.checked)} bodies: ${statuses}, ` +
          `${int(loaded.agreed)} agree with a snapshot compiled apart. Measuring… `,
      );
      const headers = {
        "content-type": "application/json",
        authorization: `Bearer ${tessera.token}`,
      };
      lastBodies = loaded.bodies;
      const bareResult = await measure(bare.port, loaded.bodies, headers, load);
      const tesseraResult = await measure(tessera.port, loaded.bodies, headers, load);
      const row: HttpRow = {
        tenants,
        loadMs: loaded.loadMs,
        bare: bareResult,
        tessera: tesseraResult,
        share: tesseraResult.perSecond / bareResult.perSecond,
      };
      rows.push(row);
      console.log(`${percent(row.share)}`);
    }

    console.log();
    console.log(
      table(
        ["tenants", "bare req/s", "tessera req/s", "tessera÷bare", "bare p50/p99", "tessera p50/p99"],
        rows.map((r) => [
          sizeLabel(r.tenants),
          int(r.bare.perSecond),
          int(r.tessera.perSecond),
          percent(r.share),
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
      const profiled = await measure(tessera.port, lastBodies, headers, { ...load, warmupSeconds: 0 });
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
  }
}

async function measure(
  port: number,
  bodies: string[],
  headers: Record<string, string>,
  load: Load,
): Promise<Measured> {
  const base = {
    url: `http://127.0.0.1:${port}`,
    connections: load.connections,
    pipelining: load.pipelining,
    method: "POST" as const,
    headers,
    requests: bodies.map((body) => ({ method: "POST" as const, path: "/v1/check", body })),
  };
  await autocannon({ ...base, duration: load.warmupSeconds });
  const result = await autocannon({ ...base, duration: load.seconds });
  const problems = [
    result.non2xx > 0 ? `${int(result.non2xx)} non-2xx responses` : "",
    result.errors > 0 ? `${int(result.errors)} errors` : "",
    result.timeouts > 0 ? `${int(result.timeouts)} timeouts` : "",
  ]
    .filter((p) => p !== "")
    .join(", ");
  return {
    perSecond: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    problems: problems === "" ? undefined : problems,
  };
}
