/**
 * One size of `--only compare` (evaluator-compare.ts), in a process of its own: this tree's evaluator and
 * another revision's (its packages/sdk/src/core, extracted to a folder), each with its own snapshot of the
 * same data, timed in alternating rounds.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { CheckRequest, Decision } from "../packages/sdk/src/core/decision";
import { evaluate } from "../packages/sdk/src/core/evaluate";
import { Snapshot } from "../packages/sdk/src/core/snapshot";
import type { EnvironmentState } from "../packages/sdk/src/core/types";
import { generateRequests, generateState } from "./data";
import { answerParent, round } from "./harness";

export interface CompareInput {
  tenants: number;
  requests: number;
  anchor: number;
  /** The other revision's packages/sdk/src/core. */
  otherCore: string;
  warmupMs: number;
  roundMs: number;
  pairs: number;
}

export interface CompareResult {
  type: "compare-result";
  tenants: number;
  /** Decisions per second in each pair's round: this tree's, and the other revision's. */
  mine: number[];
  other: number[];
  /** Requests on which the two answered `entitled` or `reason` differently. */
  disagreements: number;
}

type Evaluate = (snapshot: unknown, request: CheckRequest) => Decision;
interface Core {
  evaluate: Evaluate;
  compile: (state: EnvironmentState) => unknown;
}

async function otherCore(dir: string): Promise<Core> {
  const load = (file: string) => import(pathToFileURL(join(dir, file)).href);
  const [evaluation, snapshot] = await Promise.all([load("evaluate.ts"), load("snapshot.ts")]);
  return { evaluate: evaluation.evaluate, compile: (state) => snapshot.Snapshot.compile(state) };
}

async function main(input: CompareInput): Promise<CompareResult> {
  const state = generateState({ tenants: input.tenants, anchor: input.anchor });
  const requests = generateRequests(state, { count: input.requests });
  const mine: Core = { evaluate: evaluate as Evaluate, compile: (s) => Snapshot.compile(s) };
  const other = await otherCore(input.otherCore);
  // Each side gets its own copies: its snapshot and its requests, parsed apart as a server's would be.
  const sides = [mine, other].map((core) => {
    const snapshot = core.compile(structuredClone(state));
    const asked = JSON.parse(JSON.stringify(requests)) as CheckRequest[];
    return { core, snapshot, asked };
  });
  let disagreements = 0;
  for (let i = 0; i < requests.length; i++) {
    const [a, b] = sides.map((side) => side.core.evaluate(side.snapshot, side.asked[i]!));
    if (a!.entitled !== b!.entitled || a!.reason !== b!.reason) disagreements++;
  }
  const time = (side: (typeof sides)[number], ms: number) =>
    round((i) => side.core.evaluate(side.snapshot, side.asked[i]!).entitled, requests.length, ms);
  for (const side of sides) time(side, input.warmupMs);
  const rates: [number[], number[]] = [[], []];
  for (let p = 0; p < input.pairs; p++) {
    // Each goes first in every other pair, so neither always follows the other.
    const order = p % 2 === 0 ? [0, 1] : [1, 0];
    for (const s of order) rates[s]!.push(time(sides[s]!, input.roundMs));
  }
  return { type: "compare-result", tenants: input.tenants, mine: rates[0], other: rates[1], disagreements };
}

answerParent("usage: evaluator-compare-case.ts '<CompareInput as JSON>'", main);
