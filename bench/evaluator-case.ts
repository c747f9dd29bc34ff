/**
 * One size of the evaluator benchmark, in a process of its own (see evaluator.ts): generates the data,
 * compiles it, and times Tessera's evaluate, then CASL, then casbin, on the same requests. Tessera goes first,
 * while the heap holds nothing but its snapshot and the raw state it was compiled from.
 */

import type { CheckRequest } from "../packages/sdk/src/core/decision";
import { evaluate } from "../packages/sdk/src/core/evaluate";
import { Snapshot } from "../packages/sdk/src/core/snapshot";
import { buildCasbin, buildCasl, derive } from "./baselines";
import { generateRequests, generateState, requestKind } from "./data";
import { answerParent, elapsedMs, settledHeap, type TimingOptions, throughput } from "./harness";

/** How many tenants the "same questions" requests are spread over: the smallest size. */
const SAME_QUESTIONS_TENANTS = 1_000;

export interface CaseInput {
  tenants: number;
  requests: number;
  anchor: number;
  timing: TimingOptions;
  /** How many requests (from the start of the list) to answer with all three and compare. */
  agreementSample: number;
  /** Time Tessera only (for a CPU profile that shows nothing else). */
  tesseraOnly: boolean;
}

export interface LibraryResult {
  perSecond: number;
  rounds: number[];
  setupMs: number;
  /** Share of the sample on which the library's `entitled` equals Tessera's. */
  agreement: number;
  mismatches: string[];
  detail: string;
}

export interface CaseResult {
  type: "case-result";
  tenants: number;
  requests: number;
  /** How many different tenants the requests name: each is read again only once the cycle comes round. */
  distinctTenants: number;
  denied: number;
  mix: Record<string, number>;
  generateMs: number;
  compileMs: number;
  snapshotBytes: number | undefined;
  tessera: { perSecond: number; rounds: number[] };
  /**
   * The same questions at every size: requests over the first 1k tenants only (the 1k data set is a prefix
   * of every larger one, so these are exactly the 1k size's requests), asked of this size's whole snapshot.
   * What it shows: the cost of a decision as the catalog grows while the set of busy tenants does not.
   */
  sameQuestions: { perSecond: number; rounds: number[] } | undefined;
  casl: LibraryResult | undefined;
  casbin: LibraryResult | undefined;
}

async function main(input: CaseInput): Promise<CaseResult> {
  let start = process.hrtime.bigint();
  const state = generateState({ tenants: input.tenants, anchor: input.anchor });
  const requests = generateRequests(state, { count: input.requests });
  const generateMs = elapsedMs(start);

  const before = settledHeap();
  start = process.hrtime.bigint();
  let snapshot: Snapshot | undefined = Snapshot.compile(state);
  const compileMs = elapsedMs(start);
  const after = settledHeap();

  // The first pass fills each tenant's memo of effective entitlements, as the first request for a tenant
  // does in a server; it is also the reference for the agreement check. It keeps the answers, never the
  // decisions: holding 20k decision objects through a scavenge teaches V8 that decisions live long, and
  // from then on it allocates every decision in the old generation (pretenuring), which a server, whose
  // decisions die with their request, never sees. That alone made the timed loop 2–4× slower.
  //
  // Tessera is asked the requests as a server asks them: objects parsed from JSON, made now, after the
  // compile. The generated originals are object literals of several shapes (each literal site its own hidden
  // class, where parsed JSON shares one per key order), and were promoted to the old generation scattered
  // among the snapshot's objects while it was compiled, which no server's requests are.
  const asked = parsedCopy(requests);
  const expected: boolean[] = [];
  const reasons: string[] = [];
  for (const r of asked) {
    const d = evaluate(snapshot!, r);
    expected.push(d.entitled);
    reasons.push(d.reason);
  }
  const mix: Record<string, number> = {};
  for (const r of requests) mix[requestKind(r)] = (mix[requestKind(r)] ?? 0) + 1;

  const snap = snapshot;
  let sameQuestions: CaseResult["sameQuestions"];
  if (input.tenants > SAME_QUESTIONS_TENANTS) {
    const prefix = { ...state, tenants: state.tenants.slice(0, SAME_QUESTIONS_TENANTS) };
    const same = parsedCopy(generateRequests(prefix, { count: input.requests }));
    for (const r of same) evaluate(snap, r);
    sameQuestions = throughput((i) => evaluate(snap, same[i]!).entitled, same.length, input.timing);
  }
  const tessera = throughput((i) => evaluate(snap, asked[i]!).entitled, asked.length, input.timing);
  // Drop the snapshot, so the baselines run in a heap that does not hold it.
  snapshot = undefined;

  const result: CaseResult = {
    type: "case-result",
    tenants: input.tenants,
    requests: requests.length,
    distinctTenants: new Set(requests.map((r) => r.subject.tenantId)).size,
    denied: expected.filter((e) => !e).length,
    mix,
    generateMs,
    compileMs,
    snapshotBytes: before !== undefined && after !== undefined ? after - before : undefined,
    tessera,
    sameQuestions,
    casl: undefined,
    casbin: undefined,
  };
  if (input.tesseraOnly) return result;

  const sample = Math.min(input.agreementSample, requests.length);
  const agreement = (check: (i: number) => boolean) => {
    const mismatches: string[] = [];
    let same = 0;
    for (let i = 0; i < sample; i++) {
      const got = check(i);
      if (got === expected[i]) same++;
      else if (mismatches.length < 5) {
        mismatches.push(`#${i} ${JSON.stringify(requests[i])}: tessera ${reasons[i]}, baseline ${got}`);
      }
    }
    return { agreement: same / sample, mismatches };
  };

  // What the application computes for both libraries: plans, grants, flags resolved at this instant.
  start = process.hrtime.bigint();
  const derived = derive(state, Date.now());
  const deriveMs = elapsedMs(start);

  {
    start = process.hrtime.bigint();
    const casl = buildCasl(derived, requests);
    const setupMs = deriveMs + elapsedMs(start);
    const check = agreement((i) => casl.check(i));
    const timed = throughput((i) => casl.check(i), requests.length, input.timing);
    result.casl = {
      ...timed,
      setupMs,
      ...check,
      detail: `${casl.abilities.toLocaleString("en-US")} abilities, ${casl.rules.toLocaleString("en-US")} rules`,
    };
  }
  {
    start = process.hrtime.bigint();
    const casbin = await buildCasbin(derived, requests);
    const setupMs = deriveMs + elapsedMs(start);
    const check = agreement((i) => casbin.check(i));
    const timed = throughput((i) => casbin.check(i), requests.length, input.timing);
    result.casbin = {
      ...timed,
      setupMs,
      ...check,
      detail: `${casbin.policies.toLocaleString("en-US")} policies, ${casbin.links.toLocaleString("en-US")} role links`,
    };
  }
  return result;
}

/** The requests as a server's JSON parser would hand them over: fresh objects and strings. */
function parsedCopy(requests: CheckRequest[]): CheckRequest[] {
  return JSON.parse(JSON.stringify(requests)) as CheckRequest[];
}

answerParent("usage: evaluator-case.ts '<CaseInput as JSON>'", main);
