import { describe, expect, it } from "vitest";
import { batchCheck, type CheckRequest, check } from "./check";
import { createEngine, DEFAULT_MAX_EVALUATIONS } from "./engine";
import { expand } from "./expand";
import { compileModel } from "./model";
import type { AuthorizationModelJson } from "./model-json";
import { DOCS_MODEL } from "./test-model";
import { TupleStore } from "./tuple-store";

function setup() {
  const { model, errors } = compileModel(DOCS_MODEL);
  expect(errors).toEqual([]);
  const store = new TupleStore();
  store.write([
    { object: "group:eng", relation: "member", user: "user:anne" },
    { object: "folder:root", relation: "viewer", user: "group:eng#member" },
    { object: "folder:sub", relation: "parent", user: "folder:root" },
    { object: "document:1", relation: "parent", user: "folder:sub" },
    { object: "document:1", relation: "owner", user: "user:carl" },
    { object: "document:1", relation: "blocked", user: "user:carl" },
  ]);
  return { engine: createEngine(model!, store), store, model: model! };
}

describe("check", () => {
  it("follows arrows and usersets, and explains the grant", () => {
    const { engine } = setup();
    const r = check(engine, { object: "document:1", relation: "viewer", user: "user:anne", explain: true });
    expect(r.allowed).toBe(true);
    expect(r.reason).toBe("ENTITLED");
    expect(r.path?.[0]).toBe("document:1#viewer");
    expect(r.path?.at(-1)).toBe("group:eng#member@user:anne");
  });

  it("applies exclusion and says why with explain", () => {
    const { engine } = setup();
    const r = check(engine, { object: "document:1", relation: "viewer", user: "user:carl", explain: true });
    expect(r).toMatchObject({ allowed: false, reason: "RELATION_MISSING" });
    expect(r.notes?.join(" ")).toContain("excluded");
  });

  it("ignores expired tuples at the evaluation time", () => {
    const { engine, store } = setup();
    store.write([{ object: "document:2", relation: "viewer", user: "user:dan", expiresAt: 1_000 }]);
    expect(
      check(engine, { object: "document:2", relation: "viewer", user: "user:dan", at: 999 }).allowed,
    ).toBe(true);
    expect(
      check(engine, { object: "document:2", relation: "viewer", user: "user:dan", at: 1_000 }).allowed,
    ).toBe(false);
  });

  it("evaluates conditions against the request context and reports missing parameters", () => {
    const { engine, store } = setup();
    store.write([
      { object: "document:3", relation: "viewer", user: "user:eve", condition: { name: "in_office_hours" } },
    ]);
    const ask = (context?: Record<string, unknown>) =>
      check(engine, { object: "document:3", relation: "viewer", user: "user:eve", context });
    expect(ask({ now: "2024-01-01T10:00:00Z" }).allowed).toBe(true);
    expect(ask({ now: "2024-01-01T20:00:00Z" }).allowed).toBe(false);
    expect(ask().error?.code).toBe("CONDITION_ERROR");
  });

  it("takes contextual tuples and refuses ones the model forbids", () => {
    const { engine, store } = setup();
    const before = store.symbols.objectCount;
    const ok = check(engine, {
      object: "document:9",
      relation: "viewer",
      user: "user:zed",
      contextualTuples: [{ object: "document:9", relation: "viewer", user: "user:zed" }],
    });
    expect(ok.allowed).toBe(true);
    expect(store.symbols.objectCount).toBe(before);
    const bad = check(engine, {
      object: "document:9",
      relation: "viewer",
      user: "user:zed",
      contextualTuples: [{ object: "document:9", relation: "viewer", user: "group:eng#member" }],
    });
    expect(bad.error?.code).toBe("INVALID_TUPLE");
  });

  it("answers input problems with stable codes", () => {
    const { engine } = setup();
    expect(check(engine, { object: "nope:1", relation: "viewer", user: "user:a" }).error?.code).toBe(
      "UNKNOWN_TYPE",
    );
    expect(check(engine, { object: "document:1", relation: "nope", user: "user:a" }).error?.code).toBe(
      "UNKNOWN_RELATION",
    );
    expect(check(engine, { object: "document:1", relation: "viewer", user: "a:b:c" }).error?.code).toBe(
      "INVALID_INPUT",
    );
  });

  it("bounds the depth with RELATION_DEPTH_EXCEEDED", () => {
    const { engine, store } = setup();
    const chain = Array.from({ length: 30 }, (_, i) => ({
      object: `group:g${i}`,
      relation: "member",
      user: `group:g${i + 1}#member`,
    }));
    store.write([...chain, { object: "group:g30", relation: "member", user: "user:deep" }]);
    expect(check(engine, { object: "group:g0", relation: "member", user: "user:deep" }).error?.code).toBe(
      "RELATION_DEPTH_EXCEEDED",
    );
    expect(check(engine, { object: "group:g10", relation: "member", user: "user:deep" }).allowed).toBe(true);
  });

  it("treats a cycle as no access", () => {
    const { engine, store } = setup();
    store.write([
      { object: "group:a", relation: "member", user: "group:b#member" },
      { object: "group:b", relation: "member", user: "group:a#member" },
    ]);
    expect(check(engine, { object: "group:a", relation: "member", user: "user:anne" })).toMatchObject({
      allowed: false,
    });
  });

  it("batches independent checks", () => {
    const { engine } = setup();
    const results = batchCheck(engine, [
      { object: "document:1", relation: "viewer", user: "user:anne" },
      { object: "nope:1", relation: "viewer", user: "user:anne" },
    ]);
    expect(results.map((r) => r.allowed)).toEqual([true, false]);
    expect(results[1]?.error?.code).toBe("UNKNOWN_TYPE");
  });

  it("sees writes and deletes at once (the index is updated in place)", () => {
    const { engine, store } = setup();
    const t = { object: "group:eng", relation: "member", user: "user:anne" };
    store.delete([t]);
    expect(check(engine, { object: "document:1", relation: "viewer", user: "user:anne" }).allowed).toBe(
      false,
    );
    store.write([t]);
    expect(check(engine, { object: "document:1", relation: "viewer", user: "user:anne" }).allowed).toBe(true);
  });
});

describe("check's quick path", () => {
  // Requests without explain or contextual tuples take a shortcut for names that tuples mention; `explain`
  // forces the full evaluation, so every answer must agree with its explained twin.
  it("answers exactly as the full evaluation does", () => {
    const { engine, store, model } = setup();
    store.write([
      { object: "folder:f1", relation: "viewer", user: "user:anne" },
      { object: "folder:f1", relation: "viewer", user: "user:*" },
      { object: "folder:f2", relation: "viewer", user: "user:bob", expiresAt: 1_000 },
      { object: "folder:f3", relation: "viewer", user: "user:carl", expiresAt: 10 ** 15 },
      { object: "document:d1", relation: "viewer", user: "user:dan", condition: { name: "in_office_hours" } },
      { object: "document:d1", relation: "viewer", user: "user:erin" },
      { object: "document:d1", relation: "blocked", user: "user:erin" },
      { object: "document:d2", relation: "owner", user: "user:anne" },
      { object: "folder:a:b", relation: "viewer", user: "user:anne" },
      { object: "folder:f4", relation: "viewer", user: "group:eng#member" },
      { object: "folder:f5", relation: "viewer", user: "user:gone" },
      // The store knows no model: this one is outside the type restrictions and must be ignored.
      { object: "folder:f6", relation: "viewer", user: "group:eng" },
    ]);
    store.delete([{ object: "folder:f5", relation: "viewer", user: "user:gone" }]);
    // Tuples that a model does not (or no longer) allow: the store takes them, evaluation must ignore them.
    const edge = compileModel({
      schema_version: "1.1",
      type_definitions: [
        { type: "user" },
        {
          type: "doc",
          relations: { owner: { this: {} }, gated: { this: {} } },
          metadata: {
            relations: {
              owner: { directly_related_user_types: [{ type: "user" }] },
              gated: { directly_related_user_types: [{ type: "user", condition: "in_office_hours" }] },
            },
          },
        },
      ],
      conditions: DOCS_MODEL.conditions,
    }).model!;
    store.write([
      { object: "doc:1", relation: "owner", user: "user:*" },
      { object: "doc:1", relation: "owner", user: "user:bob", condition: { name: "in_office_hours" } },
      { object: "doc:1", relation: "owner", user: "user:carl" },
      { object: "doc:1", relation: "gated", user: "user:anne" },
      { object: "folder:f1", relation: "parent", user: "folder:*" },
    ]);
    const { folder: _dropped, ...rest } = Object.fromEntries(model.types);
    const withoutFolder = createEngine({ ...model, types: new Map(Object.entries(rest)) }, store);
    const engines = [
      engine,
      createEngine(model, store, { maxDepth: 0 }),
      createEngine(model, store, { maxDepth: 1 }),
      withoutFolder,
      createEngine(edge, store),
    ];
    const objects = [
      "folder:f1",
      "folder:f2",
      "folder:f3",
      "folder:f4",
      "folder:f5",
      "folder:f6",
      "folder:a:b",
      "folder:*",
      "folder:new",
      "document:1",
      "document:d1",
      "document:d2",
      "doc:1",
      "group:eng",
      "user:anne",
      "ghost:1",
      "folder",
      "",
      42,
    ];
    const relations = ["viewer", "parent", "owner", "blocked", "member", "gated", "nope", "", undefined];
    const users = [
      "user:anne",
      "user:*",
      "user:bob",
      "user:carl",
      "user:dan",
      "user:erin",
      "user:gone",
      "user:nobody",
      "group:eng",
      "group:eng#member",
      "folder:a:b",
      "folder:f1",
      "user:anne#member",
      "ghost:x",
      "user",
      "",
      7,
    ];
    const settings = [
      { context: undefined, at: undefined },
      { context: { now: "2024-01-01T10:00:00Z" }, at: 999 },
      { context: { now: "2024-01-01T20:00:00Z" }, at: 1_000 },
    ];
    const outline = (r: ReturnType<typeof check>) => ({
      allowed: r.allowed,
      reason: r.reason,
      error: r.error && { code: r.error.code, message: r.error.message, path: r.error.path },
    });
    let compared = 0;
    for (const e of engines) {
      for (const object of objects) {
        for (const relation of relations) {
          for (const user of users) {
            for (const { context, at } of settings) {
              const req = { object, relation, user, context, at } as unknown as CheckRequest;
              const quick = outline(check(e, req));
              expect(quick, JSON.stringify(req)).toEqual(outline(check(e, { ...req, explain: true })));
              compared++;
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(10_000);
  });
});

describe("expand", () => {
  it("returns one level of the userset tree", () => {
    const { engine } = setup();
    const r = expand(engine, { object: "folder:sub", relation: "viewer" });
    expect(r.tree?.union?.[1]?.leaf).toEqual({
      tupleToUserset: { tupleset: "folder:sub#parent", computed: ["folder:root#viewer"] },
    });
  });
});

describe("check's bound on work", () => {
  /**
   * Groups that all contain each other, less the banned: as many cycle-free paths as orderings of the groups.
   * Through `but not`, a result that met a cycle cannot be reused (cycles.test.ts has the union-only case,
   * which settles each group once).
   */
  const EXCLUDING: AuthorizationModelJson = {
    schema_version: "1.1",
    type_definitions: [
      { type: "user" },
      {
        type: "group",
        relations: {
          banned: { this: {} },
          member: {
            difference: { base: { this: {} }, subtract: { computedUserset: { relation: "banned" } } },
          },
        },
        metadata: {
          relations: {
            banned: { directly_related_user_types: [{ type: "user" }] },
            member: {
              directly_related_user_types: [{ type: "user" }, { type: "group", relation: "member" }],
            },
          },
        },
      },
    ],
  };

  function clique(n: number, options?: { maxEvaluations?: number }) {
    const { model } = compileModel(EXCLUDING);
    const store = new TupleStore();
    const tuples = [];
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        if (i !== j) tuples.push({ object: `group:k${i}`, relation: "member", user: `group:k${j}#member` });
    store.write(tuples);
    return createEngine(model!, store, options);
  }

  it("fails a question that would take too long, rather than hold the process", () => {
    // 110 tuples; unbounded, this check took about ten seconds, and each group more multiplies that by ~12.
    const engine = clique(11);
    const started = performance.now();
    const r = check(engine, { object: "group:k0", relation: "member", user: "user:nobody" });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(r.error?.code).toBe("RELATION_DEPTH_EXCEEDED");
    expect(r.error?.message).toContain(`limit of ${DEFAULT_MAX_EVALUATIONS} sub-checks`);
  });

  it("answers the same graph when it fits the budget, and a member at once", () => {
    expect(check(clique(5), { object: "group:k0", relation: "member", user: "user:nobody" })).toMatchObject({
      allowed: false,
    });
    expect(
      check(clique(5, { maxEvaluations: 10 }), {
        object: "group:k0",
        relation: "member",
        user: "user:nobody",
      }).error?.code,
    ).toBe("RELATION_DEPTH_EXCEEDED");
    const engine = clique(11);
    engine.store.write([{ object: "group:k3", relation: "member", user: "user:anne" }]);
    expect(check(engine, { object: "group:k0", relation: "member", user: "user:anne" })).toMatchObject({
      allowed: true,
    });
  });
});
