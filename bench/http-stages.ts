/**
 * Where POST /v1/check spends what the bare route does not: `npm run bench -- --only stages`.
 *
 * A diagnostic, not a goal (it is not part of a default run). The Tessera server gets routes that go part of
 * the way along /v1/check's path and then answer the bare route's constant (http-stage-routes.ts): the
 * credential hook; then the body's schema; then the decision; then its JSON. The last stage is /v1/check
 * itself. The bare route and every stage are driven by the same autocannon load with the same bodies; in
 * each round every stage runs beside a bare run of its own, the two taking turns, and is reported as the
 * median of its rounds' ratios to those bare runs. A stage's cost is what its server CPU per request exceeds
 * its bare run's by, less the same for the stage before it: pairing cancels the machine's slow drifts, which
 * on a shared VM are larger than any one stage. A whole-process CPU profile cannot show this split: most of
 * a decision's cost inside a request is cache misses, which a profile spreads over whatever code meets them.
 */
import { todayAnchor } from "./data";
import { heading, int, median, nextMessage, percent, sizeLabel, stop, table } from "./harness";
import { bothReady, cpuSeconds, forkServers, type Load, pinCores, run, settle, unpinSelf } from "./http";
import type { LoadCommand, Loaded } from "./http-server";
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
  /** Each run's req/s over its paired bare run's. */
  shares: number[];
  /** Each run's CPU per request less its paired bare run's, µs. */
  overBare: number[];
}

export async function runStages(options: StagesOptions): Promise<void> {
  const sizes = options.quick ? [1_000] : [10_000, 100_000];
  const rounds = options.quick ? 2 : 10;
  const load: Load = { connections: 10, pipelining: 1, warmupSeconds: 1, seconds: rounds, rounds };
  const bodyCount = options.quick ? 1_000 : 4_000;
  heading("HTTP stages: what each part of POST /v1/check adds to the bare route");
  console.log(
    `autocannon: ${load.connections} connections, 1 s per run; ${rounds} rounds, each stage beside a bare run; ` +
      `${int(bodyCount)} distinct check bodies, cycled.`,
  );

  const { bareChild, tesseraChild } = forkServers(["stages"]);
  try {
    const { bare, tessera } = await bothReady(bareChild, tesseraChild);
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
      await Promise.all([settle(bareChild), settle(tesseraChild)]);
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
        targets.map((t) => [t.name, { perSecond: [], cpuMicros: [], shares: [], overBare: [] }]),
      );
      type Result = { perSecond: number; cpuMicros: number };
      const record = (target: Target, r: Result, bareRun: Result) => {
        const m = measured.get(target.name)!;
        m.perSecond.push(r.perSecond);
        m.cpuMicros.push(r.cpuMicros);
        m.shares.push(r.perSecond / bareRun.perSecond);
        m.overBare.push(r.cpuMicros - bareRun.cpuMicros);
      };
      // Each stage beside a bare run of its own, the two in turns, as in the HTTP benchmark: a server that
      // has waited while the other ran starts with colder caches, and each pair shares that alike.
      const [bareTarget, ...stages] = targets as [Target, ...Target[]];
      for (let round = 0; round < rounds; round++) {
        for (const stage of round % 2 === 0 ? stages : [...stages].reverse()) {
          const first = round % 2 === 0 ? bareTarget : stage;
          const a = await once(first, 1);
          const b = await once(first === bareTarget ? stage : bareTarget, 1);
          const [bareRun, stageRun] = first === bareTarget ? [a, b] : [b, a];
          record(bareTarget, bareRun, bareRun);
          record(stage, stageRun, bareRun);
        }
      }

      const signed = (n: number) => `${n >= 0 ? "+" : ""}${n.toFixed(1)} µs`;
      let previous = 0;
      const rows = targets.map((target) => {
        const m = measured.get(target.name)!;
        const over = median(m.overBare);
        const added = target === bareTarget ? "" : signed(over - previous);
        previous = over;
        return [
          target.name,
          target.does,
          int(median(m.perSecond)),
          percent(median(m.shares)),
          `${median(m.cpuMicros).toFixed(1)} µs`,
          target === bareTarget ? "" : signed(over),
          added,
        ];
      });
      console.log(`\n  ${sizeLabel(tenants)} tenants`);
      console.log(
        table(["route", "what it does", "req/s", "÷bare", "CPU/req", "over bare", "added"], rows, [0, 1]),
      );
    }
    console.log(
      "÷bare: the median of the ratios to the bare run beside each; CPU/req: the server process's CPU " +
        "time (user + system) per request, median of the rounds; over bare: the median of each run's CPU/req " +
        "less its bare run's; added: over bare less the row above's.",
    );
  } finally {
    await Promise.all([stop(bareChild), stop(tesseraChild)]);
    unpinSelf();
  }
}
