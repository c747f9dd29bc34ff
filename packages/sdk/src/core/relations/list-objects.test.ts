import { describe, expect, it } from "vitest";
import { check } from "./check";
import { createEngine } from "./engine";
import { listObjects } from "./list-objects";
import { listUsers } from "./list-users";
import { compileModel } from "./model";
import { DOCS_MODEL } from "./test-model";
import { TupleStore } from "./tuple-store";

function setup() {
  const store = new TupleStore();
  const docs = Array.from({ length: 25 }, (_, i) => ({
    object: `document:${String(i).padStart(2, "0")}`,
    relation: "parent",
    user: "folder:f",
  }));
  store.write([
    ...docs,
    { object: "folder:f", relation: "viewer", user: "group:g#member" },
    { object: "group:g", relation: "member", user: "user:anne" },
  ]);
  store.write([{ object: "document:07", relation: "blocked", user: "user:anne" }]);
  return createEngine(compileModel(DOCS_MODEL).model!, store);
}

describe("listObjects", () => {
  it("lists a userset's own object, as check allows it, even when no tuple names that object", () => {
    const engine = setup();
    const mine = { object: "group:new", relation: "member", user: "group:new#member" };
    expect(check(engine, mine).allowed).toBe(true);
    expect(
      listObjects(engine, { type: "group", relation: "member", user: "group:new#member" }).objects,
    ).toEqual(["group:new"]);
    // Through a computed relation of the same object: a document's owners are among its viewers.
    expect(
      listObjects(engine, { type: "document", relation: "viewer", user: "document:new#owner" }).objects,
    ).toEqual(["document:new"]);
    // But not a relation the userset does not reach.
    expect(
      listObjects(engine, { type: "document", relation: "owner", user: "document:new#viewer" }).objects,
    ).toEqual([]);
    // And listUsers, the other way round.
    const userFilters = [
      { type: "document", relation: "owner" },
      { type: "document", relation: "blocked" },
      { type: "user" },
    ];
    expect(listUsers(engine, { object: "document:new", relation: "viewer", userFilters }).users).toEqual([
      "document:new#owner",
    ]);
  });

  it("pages through every object with a cursor and never truncates silently", () => {
    const engine = setup();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = listObjects(engine, {
        type: "document",
        relation: "viewer",
        user: "user:anne",
        pageSize: 10,
        cursor,
      });
      expect(page.error).toBeUndefined();
      expect(page.objects.length).toBeLessThanOrEqual(10);
      seen.push(...page.objects);
      cursor = page.cursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(24);
    expect(seen).not.toContain("document:07");
  });

  it("refuses a cursor it did not issue", () => {
    expect(
      listObjects(setup(), { type: "document", relation: "viewer", user: "user:anne", cursor: "x" }).error
        ?.code,
    ).toBe("INVALID_CURSOR");
  });
});

describe("listUsers", () => {
  it("lists users and usersets by filter", () => {
    const engine = setup();
    expect(
      listUsers(engine, { object: "document:01", relation: "viewer", userFilters: [{ type: "user" }] }).users,
    ).toEqual(["user:anne"]);
    expect(
      listUsers(engine, { object: "document:07", relation: "viewer", userFilters: [{ type: "user" }] }).users,
    ).toEqual([]);
    expect(
      listUsers(engine, {
        object: "folder:f",
        relation: "viewer",
        userFilters: [{ type: "group", relation: "member" }],
      }).users,
    ).toEqual(["group:g#member"]);
  });
});

describe("listObjects and check agree at the depth limit", () => {
  function chainOf(length: number) {
    const store = new TupleStore();
    const chain = Array.from({ length }, (_, i) => ({
      object: `group:c${i}`,
      relation: "member",
      user: `group:c${i + 1}#member`,
    }));
    store.write([...chain, { object: `group:c${length}`, relation: "member", user: "user:deep" }]);
    return createEngine(compileModel(DOCS_MODEL).model!, store);
  }
  const list = (engine: ReturnType<typeof chainOf>) =>
    listObjects(engine, { type: "group", relation: "member", user: "user:deep", pageSize: 100 });
  const ask = (engine: ReturnType<typeof chainOf>, i: number) =>
    check(engine, { object: `group:c${i}`, relation: "member", user: "user:deep" });

  it("fails as check does where a chain of groups runs past the limit", () => {
    // Before, the list settled the near groups first and reused them for the far ones: it listed all 41,
    // while check refused c0…c15 with RELATION_DEPTH_EXCEEDED.
    const engine = chainOf(40);
    expect(ask(engine, 15).error?.code).toBe("RELATION_DEPTH_EXCEEDED");
    expect(ask(engine, 16).allowed).toBe(true);
    expect(list(engine).error?.code).toBe("RELATION_DEPTH_EXCEEDED");
  });

  it("lists every group of a chain within the limit, as check allows each", () => {
    const engine = chainOf(24);
    expect(list(engine).objects).toHaveLength(25);
    for (let i = 0; i <= 24; i++) expect(ask(engine, i).allowed, `group:c${i}`).toBe(true);
  });
});
