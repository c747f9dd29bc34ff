/**
 * `npm run bench -- --only compare [--against <rev>]`: is this tree's evaluator faster or slower than the
 * one at another revision (HEAD by default)?
 *
 * The evaluator benchmark's rates swing by half on a shared VM from one minute to the next, far more than
 * most changes move them, so two runs of it, one before a change and one after, cannot tell. Here both
 * evaluators run in one process on the same data, in alternating rounds of a fraction of a second, and what
 * is reported is each pair's ratio: whatever slows the machine in a pair slows both sides of it. The other
 * revision's packages/sdk/src/core is taken with `git archive` into a temporary folder and imported from
 * there; the working tree's is imported as it is, uncommitted changes included.
 *
 * The folder is inside bench/ (git ignores it), not in the system's temporary folder: tsx compiles a file by
 * the tsconfig.json above it, and the same core compiled without ours ran a quarter slower, which this
 * comparison would have reported as the change's doing. Compared with itself (`--against HEAD` on a clean
 * tree), each size reads a ratio of 1 within the middle half.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { todayAnchor } from "./data";
import type { CompareInput, CompareResult } from "./evaluator-compare-case";
import { benchFile, childAnswer, heading, median, rate, sizeLabel, table } from "./harness";

const CORE = "packages/sdk/src/core";

export async function runCompare(options: { quick: boolean; against: string }): Promise<void> {
  const revision = execFileSync("git", ["rev-parse", "--short", options.against], {
    encoding: "utf8",
  }).trim();
  heading(`Evaluator: this tree against ${options.against} (${revision})`);
  const sizes = options.quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  const timing = options.quick
    ? { warmupMs: 500, roundMs: 200, pairs: 8 }
    : { warmupMs: 1_000, roundMs: 300, pairs: 16 };
  console.log(
    `20,000 check requests over random tenants (the evaluator benchmark's), ${timing.pairs} pairs of ` +
      `${timing.roundMs} ms rounds in one process, each side first in every other pair.`,
  );
  const dir = mkdtempSync(benchFile("./.compare-"));
  try {
    const archive = execFileSync("git", ["archive", revision, CORE], { maxBuffer: 64 * 1024 * 1024 });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
    const rows: string[][] = [];
    for (const tenants of sizes) {
      process.stdout.write(`  ${sizeLabel(tenants)} tenants… `);
      const input: CompareInput = {
        tenants,
        requests: 20_000,
        anchor: todayAnchor(),
        otherCore: join(dir, CORE),
        ...timing,
      };
      const result = await compareCase(input);
      const ratios = result.mine.map((mine, i) => mine / result.other[i]!);
      const [low, high] = middleHalf(ratios);
      const verdict = low > 1 ? "faster" : high < 1 ? "slower" : "no difference it can tell";
      console.log(verdict);
      rows.push([
        sizeLabel(tenants),
        rate(median(result.mine)),
        rate(median(result.other)),
        median(ratios).toFixed(3),
        `${low.toFixed(3)}–${high.toFixed(3)}`,
        verdict,
        String(result.disagreements),
      ]);
    }
    console.log(
      table(
        ["tenants", "this tree/s", `${revision}/s`, "ratio", "middle half", "this tree is", "answers differ"],
        rows,
        [0, 5],
      ),
    );
    console.log(
      "ratio: the median over the pairs of this tree's rate ÷ the other's; faster or slower only when the middle " +
        "half of the pairs' ratios lies wholly above or below 1. answers differ: requests on which the two " +
        "decided differently (entitled or reason); 0 unless the change meant to change answers.",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function compareCase(input: CompareInput): Promise<CompareResult> {
  return childAnswer(
    benchFile("./evaluator-compare-case.ts"),
    [JSON.stringify(input)],
    [],
    (m): m is CompareResult => (m as CompareResult | undefined)?.type === "compare-result",
  );
}

/** The lower and upper quartiles. */
function middleHalf(values: readonly number[]): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  return [sorted[Math.floor((sorted.length - 1) / 4)]!, sorted[Math.ceil(((sorted.length - 1) * 3) / 4)]!];
}
