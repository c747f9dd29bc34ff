/**
 * Reads a V8 .cpuprofile and says where the time of the timed loop went: only the samples whose stack passes
 * through harness.ts's `round` count, so setup (generating, compiling) is left out. By function (self and
 * inclusive) and, when the profiled code is a readable bundle rather than tsx's one-line modules, by line.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { table } from "./harness";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The source of a bundled file, and for each line the module it came from (esbuild's `// path` headers). */
class Sources {
  private readonly files = new Map<string, { lines: string[]; modules: string[] } | undefined>();

  get(url: string) {
    if (!this.files.has(url)) this.files.set(url, this.read(url));
    return this.files.get(url);
  }

  private read(url: string) {
    if (!url.startsWith("file:") || url.endsWith(".ts")) return undefined;
    try {
      const lines = readFileSync(fileURLToPath(url), "utf8").split("\n");
      const modules: string[] = [];
      let current = basename(url);
      for (const line of lines) {
        const header = /^\/\/ (\S+\.[cm]?[jt]s)$/.exec(line);
        if (header) current = basename(header[1]!);
        modules.push(current);
      }
      return { lines, modules };
    } catch {
      return undefined;
    }
  }
}

/**
 * `loop`: only the samples under harness.ts's timed loop. `busy`: every sample but idle ones (a server's
 * profile, taken over the measured window only).
 */
export function summarizeProfile(path: string, top: number, scope: "loop" | "busy" = "loop"): string {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const sources = new Sources();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const isLoop = (n: ProfileNode) =>
    n.callFrame.functionName === "round" && /harness|evaluator-case/.test(n.callFrame.url);

  const label = (node: ProfileNode): string => {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || "(anonymous)";
    if (!url) return name;
    const source = sources.get(url);
    if (source) return `${name} (${source.modules[lineNumber] ?? basename(url)})`;
    return `${name} (${basename(url.split("?")[0]!)})`;
  };

  /** The chain from a node up to the timed loop, or undefined if the node is not under it. */
  const chains = new Map<number, ProfileNode[] | undefined>();
  const chainOf = (leaf: ProfileNode): ProfileNode[] | undefined => {
    if (chains.has(leaf.id)) return chains.get(leaf.id);
    const stack: ProfileNode[] = [];
    let found = scope === "busy" && leaf.callFrame.functionName !== "(idle)";
    for (let n: ProfileNode | undefined = leaf; n; n = byId.get(parent.get(n.id) ?? -1)) {
      if (scope === "loop" && isLoop(n)) {
        found = true;
        break;
      }
      if (n.callFrame.functionName === "(root)") break;
      stack.push(n);
    }
    const result = found ? stack : undefined;
    chains.set(leaf.id, result);
    return result;
  };

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let sampled = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // A sample's time is the gap to the next one.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const leaf = byId.get(profile.samples[i]!);
    const stack = leaf && chainOf(leaf);
    if (!stack) continue;
    total += dt;
    sampled++;
    const leafLabel = stack.length > 0 ? label(stack[0]!) : "round (the timing loop)";
    self.set(leafLabel, (self.get(leafLabel) ?? 0) + dt);
    for (const key of new Set(stack.map(label))) inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
  }
  if (total === 0) return scope === "loop" ? "No samples inside the timed loop." : "No busy samples.";

  const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)}%`;
  const out = [
    scope === "loop"
      ? `${(total / 1000).toFixed(0)} ms sampled inside the timed loop.`
      : `${(total / 1000).toFixed(0)} ms of busy samples.`,
    "",
    "By self time (the function itself, with what V8 inlined into it):",
    table(
      ["function", "self", "inclusive"],
      [...self]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([key, us]) => [key, pct(us, total), pct(inclusive.get(key) ?? us, total)]),
    ),
    "",
    "By inclusive time:",
    table(
      ["function", "inclusive", "self"],
      [...inclusive]
        .sort((a, b) => b[1] - a[1])
        .slice(0, Math.min(top, 10))
        .map(([key, us]) => [key, pct(us, total), pct(self.get(key) ?? 0, total)]),
    ),
  ];

  // Line ticks count samples, not time; their shares are comparable with each other.
  // Only code V8 saw as readable JavaScript has line ticks (not tsx's one-line modules, not native code);
  // shares are of all the samples in scope, so they compare with the tables above.
  const lines = new Map<string, number>();
  let ticks = 0;
  for (const node of profile.nodes) {
    if (!node.positionTicks || !chainOf(node)) continue;
    const source = sources.get(node.callFrame.url);
    if (!source) continue;
    for (const { line, ticks: n } of node.positionTicks) {
      const text = source.lines[line - 1]?.trim() ?? "";
      const key = `${(source.modules[line - 1] ?? "").padEnd(14)} ${text.length > 96 ? `${text.slice(0, 95)}…` : text}`;
      lines.set(key, (lines.get(key) ?? 0) + n);
      ticks += n;
    }
  }
  if (ticks > 0) {
    out.push(
      "",
      `By line, where V8 has lines (share of the ${scope === "loop" ? "loop's" : "busy"} samples; a line includes what V8 inlined into it):`,
      table(
        ["share", "line"],
        [...lines]
          .sort((a, b) => b[1] - a[1])
          .slice(0, top + 5)
          .map(([key, n]) => [pct(n, Math.max(sampled, ticks)), key]),
        [1],
      ),
    );
  }
  return out.join("\n");
}
