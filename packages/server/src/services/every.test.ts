import { afterEach, describe, expect, it } from "vitest";
import { every, type Periodic } from "./every";

describe("every", () => {
  let periodic: Periodic | undefined;
  afterEach(() => periodic?.stop());

  it("runs again after a failed run, and reports the failure as a warning naming the task", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      let runs = 0;
      const done = new Promise<void>((resolve) => {
        periodic = every(10, "test refresh", async () => {
          runs++;
          if (runs === 1) throw new Error("database unreachable");
          if (runs === 3) resolve();
        });
      });
      await done;
      periodic!.stop();
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ code: "TESSERA_BACKGROUND" });
      expect(warnings[0]!.message).toBe("test refresh failed; retrying in 10 ms: database unreachable");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("never overlaps runs: a run still going at its next turn is left to finish", async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    periodic = every(5, "slow", async () => {
      runs++;
      active++;
      most = Math.max(most, active);
      await new Promise((resolve) => setTimeout(resolve, 25));
      active--;
    });
    await new Promise((resolve) => setTimeout(resolve, 120));
    periodic.stop();
    expect(runs).toBeGreaterThan(1);
    expect(most).toBe(1);
  });

  it("stops", async () => {
    let runs = 0;
    periodic = every(5, "counter", async () => {
      runs++;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    periodic.stop();
    const seen = runs;
    expect(seen).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(runs).toBe(seen);
  });

  it("stop() waits for a run still going, so what the run reads can be closed after it", async () => {
    // Before, stop() only cleared the timer: a server closing its store under a run still reading it
    // printed a warning at exit.
    let runs = 0;
    let finished = 0;
    periodic = every(5, "reader", async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      finished++;
    });
    while (runs === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    await periodic.stop();
    expect(finished).toBe(runs);
  });
});
