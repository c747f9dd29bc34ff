import { describe, expect, it } from "vitest";
import { compileModel } from "./model";
import { DOCS_MODEL } from "./test-model";
import { TupleStore } from "./tuple-store";
import { validateTuple } from "./validate-tuple";

describe("TupleStore", () => {
  it("adds and removes incrementally and round-trips tuples with their metadata", () => {
    const store = new TupleStore();
    const tuples = [
      { object: "document:1", relation: "viewer", user: "user:anne" },
      { object: "document:1", relation: "viewer", user: "user:*" },
      { object: "folder:1", relation: "viewer", user: "group:eng#member", expiresAt: 5 },
      {
        object: "document:2",
        relation: "viewer",
        user: "user:anne",
        condition: { name: "in_office_hours", context: { now: "2024-01-01T00:00:00Z" } },
      },
    ];
    expect(store.write(tuples)).toBe(4);
    expect(store.write(tuples)).toBe(0);
    expect(store.size).toBe(4);
    expect([...store.tuples()].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [...tuples].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    expect(store.delete([tuples[0]!, { object: "document:404", relation: "viewer", user: "user:x" }])).toBe(
      1,
    );
    expect(store.has(tuples[0]!)).toBe(false);
    expect(store.has(tuples[1]!)).toBe(true);
    expect(store.size).toBe(3);
  });

  it("throws a RelationError for malformed tuples", () => {
    expect(() =>
      new TupleStore().write([{ object: "document", relation: "viewer", user: "user:a" }]),
    ).toThrow(/invalid object/);
  });
});

describe("validateTuple", () => {
  const model = compileModel(DOCS_MODEL).model!;
  it("accepts what the type restrictions allow", () => {
    expect(validateTuple(model, { object: "folder:1", relation: "viewer", user: "user:*" })).toEqual([]);
    expect(
      validateTuple(model, {
        object: "document:1",
        relation: "viewer",
        user: "user:a",
        condition: { name: "in_office_hours" },
      }),
    ).toEqual([]);
  });
  it("refuses what they do not, with INVALID_TUPLE", () => {
    const problems = [
      validateTuple(model, { object: "document:1", relation: "viewer", user: "user:*" }),
      validateTuple(model, { object: "document:1", relation: "viewer", user: "group:eng#member" }),
      validateTuple(model, { object: "document:1", relation: "nope", user: "user:a" }),
      validateTuple(model, {
        object: "document:1",
        relation: "viewer",
        user: "user:a",
        condition: { name: "in_office_hours", context: { now: 3 } },
      }),
    ];
    for (const p of problems) expect(p[0]?.code).toBe("INVALID_TUPLE");
  });
});
