import { describe, expect, it } from "vitest";
import { type CompiledCondition, compileCondition, evaluateCondition } from "./conditions";

function compiled(expression: string, parameters: Record<string, string>): CompiledCondition {
  const c = compileCondition(
    "c",
    {
      name: "c",
      expression,
      parameters: Object.fromEntries(
        Object.entries(parameters).map(([name, type]) => [name, { type_name: type }]),
      ),
    },
    "conditions.c",
  );
  if (Array.isArray(c)) throw new Error(JSON.stringify(c));
  return c;
}

describe("evaluateCondition", () => {
  it("takes the tuple's value over the request's", () => {
    const c = compiled("limit > 5", { limit: "TYPE_NAME_INT" });
    expect(evaluateCondition(c, { limit: 1 }, { limit: 10 })).toEqual({ met: false });
    expect(evaluateCondition(c, undefined, { limit: 10 })).toEqual({ met: true });
  });

  it("reads parameters named like Object.prototype's properties only from the contexts themselves", () => {
    // Before, a context that lacked `valueOf` lent Object.prototype.valueOf, `valueOf != 1` held, and the
    // relation was granted; a `constructor` string was "got undefined" rather than missing.
    const anyValue = compiled("valueOf != 1", { valueOf: "TYPE_NAME_ANY" });
    for (const context of [{}, { other: 1 }]) {
      expect(evaluateCondition(anyValue, undefined, context).error).toContain("missing context parameters");
      expect(evaluateCondition(anyValue, {}, context).error).toContain("missing context parameters");
    }
    const text = compiled('constructor == "x"', { constructor: "TYPE_NAME_STRING" });
    expect(evaluateCondition(text, undefined, {}).error).toContain("missing context parameters: constructor");
    expect(evaluateCondition(text, undefined, { constructor: "x" })).toEqual({ met: true });
  });
});
