import { describe, expect, it } from "vitest";
import { heldTickShape, holdTickShape } from "./tick-shape";

describe("holdTickShape", () => {
  it("holds one of nextTick's own queue objects, the same one however often it is called", async () => {
    holdTickShape();
    const held = heldTickShape();
    // What Node's nextTick builds: its two async-id symbols, the callback and its arguments.
    expect(held).toMatchObject({ callback: expect.any(Function) });
    expect(Object.getOwnPropertySymbols(held)).toHaveLength(2);
    expect(Object.keys(held as object)).toEqual(["callback", "args"]);

    await new Promise<void>((resolve) => process.nextTick(resolve));
    holdTickShape();
    expect(heldTickShape()).toBe(held);
  });
});
