/**
 * What one read costs on this machine, in and out of the CPU cache: the yardstick for the evaluator's
 * "flat cost" line. A decision at the largest size reads its tenant's data, which the CPU last saw many
 * decisions and megabytes of requests ago; no layout of that data makes the read cheaper than one read
 * from memory, so the cost at 1k plus one such read is the floor for the cost at 100k.
 */

/** One cache line per step: 16 int32 words. */
const LINE_WORDS = 16;

/**
 * Nanoseconds per read when every read depends on the one before (a pointer chase over the lines of a
 * `bytes`-sized buffer in random order), so the CPU can neither overlap the reads nor predict them.
 */
export function readLatency(bytes: number, reads = 2_000_000): number {
  const lines = Math.max(2, Math.floor(bytes / (LINE_WORDS * 4)));
  const buffer = new Int32Array(lines * LINE_WORDS);
  const order = new Int32Array(lines);
  for (let i = 0; i < lines; i++) order[i] = i;
  // A fixed-seed shuffle (xorshift): the same walk in every run.
  let state = 0x9e3779b9 | 0;
  for (let i = lines - 1; i > 0; i--) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const j = (state >>> 0) % (i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  for (let i = 0; i < lines; i++) buffer[order[i]! * LINE_WORDS] = order[(i + 1) % lines]! * LINE_WORDS;

  let at = 0;
  for (let i = 0; i < Math.min(reads, lines * 2); i++) at = buffer[at]!;
  const start = process.hrtime.bigint();
  for (let i = 0; i < reads; i++) at = buffer[at]!;
  const ns = Number(process.hrtime.bigint() - start) / reads;
  // `at` is live, so the loop is too.
  return at < 0 ? Number.NaN : ns;
}

export interface MemoryProfile {
  /** Nanoseconds per dependent read, by buffer size in bytes. */
  sweep: [bytes: number, ns: number][];
  /** A read that misses the cache: the chase over the largest buffer. */
  missNs: number;
  /** A read that hits it: the chase over the smallest buffer. */
  hitNs: number;
  /** The largest buffer whose reads cost under a third of a miss: about the cache this process gets. */
  cacheBytes: number;
}

export function memoryProfile(largestBytes: number): MemoryProfile {
  const sizes: number[] = [];
  for (let bytes = 256 * 1024; bytes < largestBytes; bytes *= 2) sizes.push(bytes);
  sizes.push(largestBytes);
  const sweep = sizes.map((bytes): [number, number] => [bytes, readLatency(bytes)]);
  const missNs = sweep[sweep.length - 1]![1];
  const hitNs = sweep[0]![1];
  const cacheBytes = sweep
    .filter(([, ns]) => ns < missNs / 3)
    .reduce((max, [bytes]) => Math.max(max, bytes), 0);
  return { sweep, missNs, hitNs, cacheBytes };
}

export function megabytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(0)} MB` : `${(bytes / 1024).toFixed(0)} KB`;
}
