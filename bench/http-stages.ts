/**
 * Where POST /v1/check spends what the bare route does not: `npm run bench -- --only stages`.
 *
 * A diagnostic, not a goal (it is not part of a default run). The Tessera server gets routes that go part of
 * the way along /v1/check's path and then answer the bare route's constant (http-stage-routes.ts): the
 * credential hook; then the body's schema; then the decision; then its JSON. The last stage is /v1/check
 * itself. The bare route and every stage are driven by the same autocannon load with the same bodies, in
 * rounds that take turns (in one order, then the reverse), and each is reported as the median of its rounds
 * beside the bare route of the same round; a stage's cost is its server CPU per request less the stage
 * before it. A whole-process CPU profile cannot show this split: most of a decision's cost inside a request
 * is cache misses, which a profile spreads over whatever code meets them.
 */
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
import { cpuSeconds, type Load, pinCores, run, unpinSelf } from "./http";
import type { LoadCommand, Loaded, Ready } from "./http-server";
import { STAGES } from "./http-stage-routes";

export interface StagesOptions {
  quick: boolean;
}

interface Target {
  name: string;
  does: string;
  port: number;
  pid: number | undefined;
  path: string;
}

interface Rounds {
  perSecond: number[];
  cpuMicros: number[];
}

export async function runStages(options: StagesOptions): Promise<void> {
  const sizes = options.quick ? [1_000] : [10_000, 100_000];
  const rounds = options.quick ? 2 : 10;
  const load: Load = { connections: 10, pipelining: 1, warmupSeconds: 1, seconds: rounds, rounds };
  const bodyCount = options.quick ? 1_000 : 4_000;
  heading("HTTP stages: what each part of POST /v1/check adds to the bare route");
  console.log(
    `autocannon: ${load.connections} connections, 1 s per route and round, ${rounds} rounds in turns; ` +
      `${int(bodyCount)} distinct check bodies, cycled.`,
  );

  const bareChild = forkTs(benchFile("./http-server.ts"), ["bare"]);
  const tesseraChild = forkTs(benchFile("./http-server.ts"), ["tessera", "stages"]);
  try {
    const isReady = (m: unknown): m is Ready => (m as Ready | undefined)?.type === "ready";
    const [bare, tessera] = await Promise.all([
      nextMessage(bareChild, isReady),
      nextMessage(tesseraChild, isReady),
    ]);
    console.log(`  ${pinCores(bareChild.pid, tesseraChild.pid)}`);
    const headers = { "content-type": "application/json", authorization: `Bearer ${tessera.token}` };
    const targets: Target[] = [
      {
        name: "bare",
        does: "Fastify, one route, the constant",
        port: bare.port,
        pid: bareChild.pid,
        path: "/v1/check",
      },
      ...STAGES.map((s) => ({ ...s, port: tessera.port, pid: tesseraChild.pid })),
    ];

    for (const tenants of sizes) {
      tesseraChild.send({
        type: "load",
        tenants,
        anchor: todayAnchor(),
        bodies: bodyCount,
      } satisfies LoadCommand);
      const { bodies } = await nextMessage(
        tesseraChild,
        (m): m is Loaded => (m as Loaded | undefined)?.type === "loaded",
      );
      const once = async (target: Target, seconds: number) => {
        const before = cpuSeconds(target.pid);
        const result = await run(target.port, bodies, headers, load, seconds, target.path);
        const after = cpuSeconds(target.pid);
        if (result.non2xx > 0) throw new Error(`${target.path}: ${result.non2xx} non-2xx responses`);
        const cpu = before === undefined || after === undefined ? Number.NaN : after - before;
        return {
          perSecond: result.requests.total / result.duration,
          cpuMicros: (cpu / result.requests.total) * 1e6,
        };
      };
      for (const target of targets) await once(target, load.warmupSeconds);
      const measured = new Map<string, Rounds>(
        targets.map((t) => [t.name, { perSecond: [], cpuMicros: [] }]),
      );
      for (let round = 0; round < rounds; round++) {
        for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
          const { perSecond, cpuMicros } = await once(target, 1);
          measured.get(target.name)!.perSecond.push(perSecond);
          measured.get(target.name)!.cpuMicros.push(cpuMicros);
        }
      }

      const bareRounds = measured.get("bare")!;
      let previous: number | undefined;
      const rows = targets.map((target) => {
        const m = measured.get(target.name)!;
        const cpu = median(m.cpuMicros);
        const added =
          previous === undefined ? "" : `${cpu - previous >= 0 ? "+" : ""}${(cpu - previous).toFixed(1)} µs`;
        previous = cpu;
        return [
          target.name,
          target.does,
          int(median(m.perSecond)),
          percent(median(m.perSecond.map((v, i) => v / bareRounds.perSecond[i]!))),
          `${cpu.toFixed(1)} µs`,
          added,
        ];
      });
      console.log(`\n  ${sizeLabel(tenants)} tenants`);
      console.log(table(["route", "what it does", "req/s", "÷bare", "CPU/req", "added"], rows, [0, 1]));
    }
    console.log(
      "÷bare: the median of the rounds' ratios to the bare route's round; CPU/req: the server process's CPU " +
        "time (user + system) per request, median of the rounds; added: CPU/req less the row above.",
    );
  } finally {
    await Promise.all([stop(bareChild), stop(tesseraChild)]);
    unpinSelf();
  }
}
