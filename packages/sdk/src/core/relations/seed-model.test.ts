import { describe, expect, it } from "vitest";
import { check } from "./check";
import { createEngine } from "./engine";
import { compileModel } from "./model";
import { seedToModel } from "./seed-model";
import { TupleStore } from "./tuple-store";

describe("seedToModel", () => {
  it("turns entity types with relations and actions into a working model", () => {
    const { model: json, errors } = seedToModel([
      { key: "group", relations: [{ key: "member", subjectEntityTypeKeys: ["user", "group#member"] }] },
      {
        key: "folder",
        relations: [{ key: "reader", subjectEntityTypeKeys: ["user", "group#member"] }],
        actions: [{ key: "read", relationKeys: ["reader"] }],
      },
      {
        key: "document",
        relations: [
          { key: "parent", subjectEntityTypeKeys: ["folder"] },
          { key: "writer", subjectEntityTypeKeys: ["user"] },
        ],
        actions: [{ key: "read", relationKeys: ["writer", { fromRelation: "parent", toAction: "read" }] }],
      },
    ]);
    expect(errors).toEqual([]);
    const compiled = compileModel(json);
    expect(compiled.errors).toEqual([]);
    const store = new TupleStore();
    store.write([
      { object: "document:1", relation: "parent", user: "folder:a" },
      { object: "folder:a", relation: "reader", user: "group:g#member" },
      { object: "group:g", relation: "member", user: "user:anne" },
    ]);
    expect(
      check(createEngine(compiled.model!, store), {
        object: "document:1",
        relation: "read",
        user: "user:anne",
      }).allowed,
    ).toBe(true);
  });

  it("reports an action that reuses a relation's key", () => {
    const { errors } = seedToModel([
      {
        key: "doc",
        relations: [{ key: "read", subjectEntityTypeKeys: ["user"] }],
        actions: [{ key: "read", relationKeys: ["read"] }],
      },
    ]);
    expect(errors[0]?.path).toBe("entityTypes[0].actions[0].key");
  });
});
