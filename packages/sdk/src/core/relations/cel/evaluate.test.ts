import { describe, expect, it } from "vitest";
import { evaluateCel } from "./evaluate";
import { parseCel } from "./parser";
import { CelUint, parseIp } from "./values";

const run = (expr: string, vars: Record<string, unknown> = {}) =>
  evaluateCel(parseCel(expr), new Map(Object.entries(vars)));

describe("CEL subset", () => {
  it("does int, uint and double arithmetic without mixing them up", () => {
    expect(run("1 + 2 * 3 == 7")).toBe(true);
    expect(run("7 / 2")).toBe(3n);
    expect(run("7.0 / 2.0")).toBe(3.5);
    expect(run("3u + 4u")).toBeInstanceOf(CelUint);
    expect(() => run("9223372036854775807 + 1")).toThrow(/overflow/);
  });

  it("compares timestamps and durations", () => {
    expect(run('timestamp("2023-10-11T10:00:00.000Z") < timestamp("2023-10-11T10:00:01Z")')).toBe(true);
    expect(
      run('timestamp("2023-01-01T00:00:00Z") + duration("1h30m") == timestamp("2023-01-01T01:30:00Z")'),
    ).toBe(true);
    expect(run('timestamp("2023-01-01T10:00:00Z").getHours()')).toBe(10n);
  });

  it("checks ip addresses against CIDR ranges", () => {
    expect(run('ip.in_cidr("192.168.0.0/24")', { ip: parseIp("192.168.0.7") })).toBe(true);
    expect(run('ip.in_cidr("192.168.1.0/24")', { ip: parseIp("192.168.0.7") })).toBe(false);
    expect(run('ip.in_cidr("2001:db8::/32")', { ip: parseIp("2001:db8::1") })).toBe(true);
  });

  it("supports strings, lists, maps, macros and the ternary", () => {
    expect(run('"abc".startsWith("a") && "b" in ["a", "b"] && size("héllo") == 5')).toBe(true);
    expect(run('{"a": 1}.a == 1 && has({"a": 1}.a) && !has({"a": 1}.b)')).toBe(true);
    expect(
      run("[1, 2, 3].exists(x, x > 2) && [1, 2].all(x, x > 0) && [1, 2, 3].filter(x, x > 1) == [2, 3]"),
    ).toBe(true);
    expect(run("x > 0 ? 'pos' : 'neg'", { x: -1n })).toBe("neg");
  });

  it("absorbs an error on one side of || when the other side is true, as CEL does", () => {
    expect(run("missing || true")).toBe(true);
    expect(() => run("missing || false")).toThrow(/undeclared/);
  });
});
