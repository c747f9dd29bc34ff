import { describe, expect, it } from "vitest";
import { prng } from "../../../test/random";
import { check } from "./check";
import { createEngine } from "./engine";
import { listObjects } from "./list-objects";
import { compileModel } from "./model";
import type { AuthorizationModelJson } from "./model-json";
import { DOCS_MODEL } from "./test-model";
import { TupleStore } from "./tuple-store";

/** A computed relation, in the JSON model's words. */
const rel = (relation: string) => ({ computedUserset: { relation } });

interface Tuple {
  object: string;
  relation: string;
  user: string;
}

function engineOf(model: AuthorizationModelJson, tuples: Tuple[]) {
  const { model: compiled, errors } = compileModel(model);
  expect(errors).toEqual([]);
  const store = new TupleStore();
  store.write(tuples);
  return createEngine(compiled!, store);
}

/** Who is in each group: the least fixed point of "a group's members, and its member groups' members". */
function membersByReachability(groups: number, tuples: Tuple[]): Set<string>[] {
  const members = Array.from({ length: groups }, () => new Set<string>());
  const contains: number[][] = Array.from({ length: groups }, () => []);
  for (const t of tuples) {
    const g = Number(t.object.slice("group:g".length));
    if (t.user.startsWith("user:")) members[g]!.add(t.user);
    else contains[g]!.push(Number(t.user.slice("group:g".length, -"#member".length)));
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (let g = 0; g < groups; g++) {
      for (const inner of contains[g]!) {
        for (const user of members[inner]!) {
          if (!members[g]!.has(user)) {
            members[g]!.add(user);
            changed = true;
          }
        }
      }
    }
  }
  return members;
}

describe("cycles through unions only", () => {
  it("answers every question on random graphs of groups in cycles as reachability does", () => {
    const users = ["user:anne", "user:bob", "user:carl", "user:dana"];
    for (let seed = 1; seed <= 40; seed++) {
      const rng = prng(seed);
      const groups = 4 + Math.floor(rng() * 16);
      const tuples: Tuple[] = [];
      for (let g = 0; g < groups; g++) {
        for (let h = 0; h < groups; h++) {
          if (g !== h && rng() < 2.5 / groups)
            tuples.push({ object: `group:g${g}`, relation: "member", user: `group:g${h}#member` });
        }
        if (rng() < 0.15) tuples.push({ object: `group:g${g}`, relation: "member", user: users[g % 4]! });
      }
      const engine = engineOf(DOCS_MODEL, tuples);
      const expected = membersByReachability(groups, tuples);
      for (const user of [...users, "user:nobody"]) {
        for (let g = 0; g < groups; g++) {
          const r = check(engine, { object: `group:g${g}`, relation: "member", user });
          expect(r.error, `seed ${seed}: group:g${g} ${user}`).toBeUndefined();
          expect(r.allowed, `seed ${seed}: group:g${g} ${user}`).toBe(expected[g]!.has(user));
        }
        // listObjects confirms its candidates with one memo for all of them: a cycle settled for one
        // candidate must hold for the next.
        const listed = listObjects(engine, { type: "group", relation: "member", user });
        const want = [...Array(groups).keys()]
          .filter((g) => expected[g]!.has(user))
          .map((g) => `group:g${g}`)
          .sort();
        expect(listed.objects, `seed ${seed}: ${user}`).toEqual(want);
      }
    }
  });

  it("answers a clique of 24 groups that all contain each other, with one member and with none", () => {
    const clique = (n: number) => {
      const tuples: Tuple[] = [];
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++)
          if (i !== j) tuples.push({ object: `group:k${i}`, relation: "member", user: `group:k${j}#member` });
      tuples.push({ object: `group:k${n - 1}`, relation: "member", user: "user:anne" });
      return engineOf(DOCS_MODEL, tuples);
    };
    const engine = clique(24);
    const started = performance.now();
    expect(check(engine, { object: "group:k0", relation: "member", user: "user:nobody" })).toMatchObject({
      allowed: false,
      reason: "RELATION_MISSING",
    });
    expect(check(engine, { object: "group:k0", relation: "member", user: "user:anne" })).toMatchObject({
      allowed: true,
    });
    expect(
      listObjects(engine, { type: "group", relation: "member", user: "user:anne" }).objects,
    ).toHaveLength(24);
    // Each sub-check runs once: 553 tuples, where every ordering of the groups is 23! paths.
    expect(performance.now() - started).toBeLessThan(2_000);
    // A search through more groups than the depth limit (25) allows fails by that limit, as OpenFGA does.
    expect(
      check(clique(30), { object: "group:k0", relation: "member", user: "user:nobody" }).error?.code,
    ).toBe("RELATION_DEPTH_EXCEEDED");
  });

  it("answers as the least fixed point where cycles through unions sit under an intersection", () => {
    // a, b and c read each other through usersets, parents and computed relations, in cycles of every
    // length; r = a and b asks two of them in turn, so one question settles cycles, then goes on.
    const arrow = (relation: string) => ({
      tupleToUserset: { tupleset: { relation: "p" }, computedUserset: { relation } },
    });
    const model: AuthorizationModelJson = {
      schema_version: "1.1",
      type_definitions: [
        { type: "user" },
        {
          type: "doc",
          relations: {
            d: { this: {} },
            p: { this: {} },
            a: { union: { child: [{ this: {} }, rel("b"), arrow("c")] } },
            b: { union: { child: [{ this: {} }, arrow("a")] } },
            c: { union: { child: [{ this: {} }, rel("d")] } },
            r: { intersection: { child: [rel("a"), rel("b")] } },
          },
          metadata: {
            relations: {
              d: { directly_related_user_types: [{ type: "user" }] },
              p: { directly_related_user_types: [{ type: "doc" }] },
              a: {
                directly_related_user_types: [
                  { type: "user" },
                  { type: "doc", relation: "a" },
                  { type: "doc", relation: "b" },
                ],
              },
              b: { directly_related_user_types: [{ type: "doc", relation: "c" }] },
              c: { directly_related_user_types: [{ type: "doc", relation: "a" }] },
            },
          },
        },
      ],
    };
    for (let seed = 1; seed <= 60; seed++) {
      const rng = prng(seed * 7919);
      const docs = 3 + Math.floor(rng() * 9);
      const tuples: Tuple[] = [];
      const add = (object: number, relation: string, user: string) =>
        tuples.push({ object: `doc:${object}`, relation, user });
      for (let i = 0; i < docs; i++) {
        if (rng() < 0.2) add(i, "d", "user:anne");
        if (rng() < 0.1) add(i, "a", "user:anne");
        for (let j = 0; j < docs; j++) {
          const q = 1.2 / docs;
          if (rng() < q) add(i, "p", `doc:${j}`);
          if (rng() < q) add(i, "a", `doc:${j}#a`);
          if (rng() < q) add(i, "a", `doc:${j}#b`);
          if (rng() < q) add(i, "b", `doc:${j}#c`);
          if (rng() < q) add(i, "c", `doc:${j}#a`);
        }
      }
      const engine = engineOf(model, tuples);
      // The least fixed point, by iterating from "nobody has anything" until nothing changes.
      const has = (o: number, r: string, u: string) =>
        tuples.some((t) => t.object === `doc:${o}` && t.relation === r && t.user === u);
      /** The docs j with a tuple doc:o#r@doc:j (suffix "") or doc:o#r@doc:j#x (suffix "#x"). */
      const linked = (o: number, r: string, suffix: string) =>
        tuples
          .filter((t) => t.object === `doc:${o}` && t.relation === r && t.user.endsWith(suffix))
          .map((t) => t.user.slice(4, t.user.length - suffix.length))
          .filter((j) => !j.includes("#"))
          .map(Number);
      const v = {
        a: new Array(docs).fill(false),
        b: new Array(docs).fill(false),
        c: new Array(docs).fill(false),
      };
      for (let changed = true; changed; ) {
        changed = false;
        for (let o = 0; o < docs; o++) {
          const a =
            has(o, "a", "user:anne") ||
            linked(o, "a", "#a").some((j) => v.a[j]) ||
            linked(o, "a", "#b").some((j) => v.b[j]) ||
            v.b[o] ||
            linked(o, "p", "").some((j) => v.c[j]);
          const b = linked(o, "b", "#c").some((j) => v.c[j]) || linked(o, "p", "").some((j) => v.a[j]);
          const c = linked(o, "c", "#a").some((j) => v.a[j]) || has(o, "d", "user:anne");
          if (a !== v.a[o] || b !== v.b[o] || c !== v.c[o]) {
            v.a[o] = a;
            v.b[o] = b;
            v.c[o] = c;
            changed = true;
          }
        }
      }
      for (const relation of ["r", "a", "b", "c"] as const) {
        const want = [...Array(docs).keys()].filter((o) =>
          relation === "r" ? v.a[o] && v.b[o] : v[relation][o],
        );
        for (let o = 0; o < docs; o++) {
          const r = check(engine, { object: `doc:${o}`, relation, user: "user:anne" });
          expect(r.error, `seed ${seed}: doc:${o}#${relation}`).toBeUndefined();
          expect(r.allowed, `seed ${seed}: doc:${o}#${relation}`).toBe(want.includes(o));
        }
        const listed = listObjects(engine, { type: "doc", relation, user: "user:anne" });
        expect(listed.objects, `seed ${seed}: ${relation}`).toEqual(want.map((o) => `doc:${o}`).sort());
      }
    }
  });

  it("does not keep what a cycle held back once the sub-check it waited on grants", () => {
    // `x` meets a cycle back to `a` and waits; `a` then grants through `d`. `b` asks `x` again afterwards,
    // from outside the cycle (the intersection `r` goes on after `a`): it must see that `x` grants too.
    const model: AuthorizationModelJson = {
      schema_version: "1.1",
      type_definitions: [
        { type: "user" },
        {
          type: "doc",
          relations: {
            d: { this: {} },
            a: {
              union: {
                child: [rel("x"), rel("d")],
              },
            },
            x: rel("a"),
            b: rel("x"),
            r: {
              intersection: {
                child: [rel("a"), rel("b")],
              },
            },
          },
          metadata: { relations: { d: { directly_related_user_types: [{ type: "user" }] } } },
        },
      ],
    };
    const engine = engineOf(model, [{ object: "doc:1", relation: "d", user: "user:anne" }]);
    expect(check(engine, { object: "doc:1", relation: "r", user: "user:anne" }).allowed).toBe(true);
    expect(check(engine, { object: "doc:1", relation: "r", user: "user:bob" }).allowed).toBe(false);
    expect(listObjects(engine, { type: "doc", relation: "r", user: "user:anne" }).objects).toEqual(["doc:1"]);
  });

  it("keeps a result waiting as long as what it waits on waits, through nested cycles", () => {
    // One question, in order: doc:1#a reaches g0, g1, g2, g3; g3 meets a cycle back to g2 and waits on it;
    // g2 meets one back to g0, so g3 now waits on g0 too. g4 (searched from g1, in g2's old place on the
    // stack) asks g3, and must wait on g0 as well: g0 then grants through g5, and doc:1#b reads g4.
    const model: AuthorizationModelJson = {
      schema_version: "1.1",
      type_definitions: [
        { type: "user" },
        // Groups of users and of groups' members, as in the docs model.
        DOCS_MODEL.type_definitions.find((t) => t.type === "group")!,
        {
          type: "doc",
          relations: {
            a: { this: {} },
            b: { this: {} },
            r: {
              intersection: {
                child: [rel("a"), rel("b")],
              },
            },
          },
          metadata: {
            relations: {
              a: { directly_related_user_types: [{ type: "group", relation: "member" }] },
              b: { directly_related_user_types: [{ type: "group", relation: "member" }] },
            },
          },
        },
      ],
    };
    const member = (group: string, user: string) => ({ object: `group:${group}`, relation: "member", user });
    const engine = engineOf(model, [
      member("g0", "group:g1#member"),
      member("g0", "group:g5#member"),
      member("g1", "group:g2#member"),
      member("g1", "group:g4#member"),
      member("g2", "group:g3#member"),
      member("g2", "group:g0#member"),
      member("g3", "group:g2#member"),
      member("g4", "group:g3#member"),
      member("g5", "user:anne"),
      { object: "doc:1", relation: "a", user: "group:g0#member" },
      { object: "doc:1", relation: "b", user: "group:g4#member" },
    ]);
    expect(check(engine, { object: "doc:1", relation: "r", user: "user:anne" }).allowed).toBe(true);
    expect(check(engine, { object: "group:g4", relation: "member", user: "user:anne" }).allowed).toBe(true);
  });
});
