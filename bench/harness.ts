/** What every benchmark shares: timing loops, child processes, and printing. */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------------------------------------------------
// Timing

export interface TimingOptions {
  /** Run this long before measuring, so the JIT has settled. */
  warmupMs: number;
  /** Each round runs at least this long. */
  roundMs: number;
  rounds: number;
}

export interface Throughput {
  /** Operations per second: the median of the rounds. */
  perSecond: number;
  rounds: number[];
}

/** Checked between chunks, so a slow operation overshoots a round by at most one chunk. */
const CHUNK = 256;

/** Anything the loop computes ends up here, so the JIT cannot drop the work as dead code. */
export let sink = 0;

/** Calls `op(0)`, `op(1)`, … in chunks for at least `ms` milliseconds; returns operations per second. */
export function round(op: (i: number) => boolean, length: number, ms: number): number {
  const budget = BigInt(Math.round(ms * 1e6));
  let i = 0;
  let ops = 0;
  let yes = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  do {
    for (let k = 0; k < CHUNK; k++) {
      if (op(i)) yes++;
      if (++i === length) i = 0;
    }
    ops += CHUNK;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  sink ^= yes;
  return ops / (Number(elapsed) / 1e9);
}

/** Calls `op(0)`, `op(1)`, … `op(length - 1)`, `op(0)`, … for several timed rounds; reports the median. */
export function throughput(op: (i: number) => boolean, length: number, options: TimingOptions): Throughput {
  round(op, length, options.warmupMs);
  const rounds: number[] = [];
  for (let r = 0; r < options.rounds; r++) rounds.push(round(op, length, options.roundMs));
  return { perSecond: median(rounds), rounds };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Memory in use after a full collection, when the process runs with --expose-gc; else undefined: the JS heap
 * and the typed arrays' buffers, which live outside it (the evaluator's tenant index is one).
 */
export function settledHeap(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

// ---------------------------------------------------------------------------------------------------------
// Child processes: each case runs in one, so cases do not share a heap, an event loop or a JIT profile

export function benchFile(name: string): string {
  return fileURLToPath(new URL(name, import.meta.url));
}

/** Forks a TypeScript entry under tsx (or a plain .js/.mjs file under node), with an IPC channel. */
export function forkTs(
  file: string,
  args: readonly string[] = [],
  execArgv: readonly string[] = [],
): ChildProcess {
  const loader = file.endsWith(".ts") ? ["--import", "tsx"] : [];
  return fork(file, [...args], {
    execArgv: [...loader, ...execArgv],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

/** Resolves with the first message from `child` that passes `accept`; rejects if the child exits first. */
export function nextMessage<T>(child: ChildProcess, accept: (message: unknown) => message is T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (isFailure(message)) {
        cleanup();
        reject(new Error(`${child.spawnargs.slice(-1)[0] ?? "child"}: ${message.error}`));
      } else if (accept(message)) {
        cleanup();
        resolve(message);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`child exited (code ${code}, signal ${signal}) before answering`));
    };
    const cleanup = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

export interface Failure {
  type: "failure";
  error: string;
}

function isFailure(message: unknown): message is Failure {
  return typeof message === "object" && message !== null && (message as Failure).type === "failure";
}

/** Sends a message to the parent process; resolves once it has been handed over. */
export function send(message: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, undefined, () => resolve());
  });
}

/**
 * Forks a child entry that answers one message, and returns that message (the first that passes `accept`);
 * the child is given 30 s to exit by itself (a CPU profile is written on the way out), then stopped.
 */
export async function childAnswer<T>(
  file: string,
  args: readonly string[],
  execArgv: readonly string[],
  accept: (message: unknown) => message is T,
): Promise<T> {
  const child = forkTs(file, args, execArgv);
  try {
    return await nextMessage(child, accept);
  } finally {
    await stop(child, 30_000);
  }
}

/**
 * The body of a child entry that takes its input as JSON in its first argument: runs `main` on it, sends the
 * result to the parent and exits; on an error, reports it and exits with status 1.
 */
export function answerParent<I>(usage: string, main: (input: I) => Promise<unknown>): void {
  const raw = process.argv[2];
  if (!raw) {
    failAndExit(new Error(usage));
    return;
  }
  main(JSON.parse(raw) as I).then(
    async (result) => {
      await send(result);
      process.exit(0);
    },
    (error: unknown) => failAndExit(error),
  );
}

/** For a child entry: report an error to the parent (with its stack), then exit with status 1. */
export function failAndExit(error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(text);
  process.exitCode = 1;
  void send({ type: "failure", error: text } satisfies Failure).then(() => process.exit(1));
  // Exit anyway if the parent has gone.
  setTimeout(() => process.exit(1), 1_000).unref();
}

/** Waits up to `graceMs` for the child to exit by itself (a profile may still be being written), then ends it. */
export async function stop(child: ChildProcess, graceMs = 0): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const term = setTimeout(() => child.kill("SIGTERM"), graceMs);
  const kill = setTimeout(() => child.kill("SIGKILL"), graceMs + 5_000);
  await exited;
  clearTimeout(term);
  clearTimeout(kill);
}

// ---------------------------------------------------------------------------------------------------------
// Printing

export function int(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** 1234567 → "1.23M", 45678 → "45.7k". */
export function rate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e5 ? 0 : 1)}k`;
  return n.toFixed(0);
}

export function ratio(n: number): string {
  return n >= 100 ? `${n.toFixed(0)}×` : n >= 10 ? `${n.toFixed(1)}×` : `${n.toFixed(2)}×`;
}

export function percent(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}

export function sizeLabel(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

/** A plain-text table: by default the first column left-aligned and the others right-aligned. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  leftAligned: readonly number[] = [0],
): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (leftAligned.includes(c) ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function heading(text: string): void {
  console.log(`\n${text}\n${"=".repeat(text.length)}`);
}
