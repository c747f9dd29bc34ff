import { describe, expect, it } from "vitest";
import { NameTable, NOT_FOUND } from "./name-table";
import { NO_ID, OVERLAY_BASE, Symbols } from "./symbols";

describe("NameTable", () => {
  it("finds every name it holds, across growth, and no other", () => {
    const names: string[] = [];
    const table = new NameTable(7, names);
    const add = (name: string) => {
      names.push(name);
      table.add(name, table.hash(name), names.length - 1);
    };
    for (let i = 0; i < 20_000; i++) add(`document:${i}`);
    // Prefixes of each other, Latin-1 beyond ASCII, beyond Latin-1 (stored apart), NUL, empty.
    const odd = ["user:a", "user:ab", "user:abc", "user:é", "user:日本", "user:😀", "user:\0x", "user:", ""];
    for (const name of odd) add(name);
    expect(table.size).toBe(names.length);
    names.forEach((name, i) => {
      expect(table.get(name, table.hash(name))).toBe(i);
    });
    for (const absent of ["document:20000", "user:abcd", "user:", "user:e", "user:日", "user:\0", "x"]) {
      if (names.includes(absent)) continue;
      expect(table.get(absent, table.hash(absent))).toBe(NOT_FOUND);
    }
  });

  it("compares characters, not only hashes", () => {
    const names = ["user:a"];
    const table = new NameTable(1, names);
    table.add("user:a", 42, 0);
    // Same hash, other name: a collision, not a match.
    expect(table.get("user:b", 42)).toBe(NOT_FOUND);
    expect(table.get("user:a", 42)).toBe(0);
  });
});

describe("Symbols", () => {
  it("gives an overlay ids of its own and falls back to its parent", () => {
    const base = new Symbols();
    const anne = base.internObject("user:anne", "user", false);
    const overlay = new Symbols(base);
    const zed = overlay.internObject("user:zed", "user", false);
    expect(zed).toBe(OVERLAY_BASE);
    expect(overlay.internObject("user:anne", "user", false)).toBe(anne);
    expect(overlay.objectId("user:zed")).toBe(zed);
    expect(overlay.objectName(zed)).toBe("user:zed");
    expect(overlay.objectType(zed)).toBe(base.typeId("user"));
    expect(base.objectId("user:zed")).toBe(NO_ID);
    expect(base.objectId(42 as unknown as string)).toBe(NO_ID);
  });
});
