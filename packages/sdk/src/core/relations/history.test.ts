import { describe, expect, it } from "vitest";
import { prng } from "../../../test/random";
import { check } from "./check";
import { createEngine } from "./engine";
import { listObjects } from "./list-objects";
import { listUsers } from "./list-users";
import { compileModel } from "./model";
import { DOCS_MODEL } from "./test-model";
import type { RelationTuple } from "./tuple";
import { TupleStore } from "./tuple-store";

/**
 * The tuple store is updated in place (buckets that grow from a number to an array to a set and shrink
 * back, reverse indexes, interned names), and checks take a quick path that skips the full evaluation.
 * Neither may change an answer: after every batch of random writes and deletes, a long-lived engine answers
 * every check, listObjects and listUsers as an engine built afresh from the tuples that remain, and its quick
 * answers agree with its explained ones.
 */

const N = 4;
const ids = (prefix: string) => Array.from({ length: N }, (_, i) => `${prefix}${i}`);
const USERS = ["user:ann", "user:bob", "user:cat", "user:dan"];
const GROUPS = ids("group:g");
const FOLDERS = ids("folder:f");
const DOCUMENTS = ids("document:d");

/** Every tuple DOCS_MODEL allows over these names (without conditions): the pool writes draw from. */
function pool(): RelationTuple[] {
  const out: RelationTuple[] = [];
  for (const g of GROUPS) {
    for (const user of [...USERS, ...GROUPS.filter((h) => h !== g).map((h) => `${h}#member`)])
      out.push({ object: g, relation: "member", user });
  }
  for (const f of FOLDERS) {
    for (const parent of FOLDERS) if (parent !== f) out.push({ object: f, relation: "parent", user: parent });
    for (const user of [...USERS, "user:*", ...GROUPS.map((g) => `${g}#member`)])
      out.push({ object: f, relation: "viewer", user });
  }
  for (const d of DOCUMENTS) {
    for (const parent of FOLDERS) out.push({ object: d, relation: "parent", user: parent });
    for (const relation of ["blocked", "owner", "viewer"])
      for (const user of USERS) out.push({ object: d, relation, user });
  }
  return out;
}

const key = (t: RelationTuple) => `${t.object}#${t.relation}@${t.user}`;

const AT = Date.parse("2026-06-01T12:00:00Z");

/** Each tuple as this seed writes it: some expire (before or after AT), some viewers only in office hours. */
function variant(rng: () => number, t: RelationTuple): RelationTuple {
  const x = rng();
  if (x < 0.12) return { ...t, expiresAt: AT - 60_000 };
  if (x < 0.24) return { ...t, expiresAt: AT + 60_000 };
  if (t.object.startsWith("document:") && t.relation === "viewer" && x < 0.5)
    return { ...t, condition: { name: "in_office_hours" } };
  return t;
}

/** No context (a condition then cannot be evaluated), office hours, or the evening. */
const CONTEXTS = [undefined, { now: "2026-06-01T10:00:00Z" }, { now: "2026-06-01T20:00:00Z" }];

describe("relationships do not depend on the order of writes and deletes", () => {
  const { model, errors } = compileModel(DOCS_MODEL);

  for (let seed = 1; seed <= 12; seed++) {
    it(`seed ${seed}: a long-lived engine answers as a fresh one`, () => {
      expect(errors).toEqual([]);
      const rng = prng(seed * 31_337);
      const all = pool().map((t) => variant(rng, t));
      const store = new TupleStore();
      const live = createEngine(model!, store);
      const held = new Map<string, RelationTuple>();
      // Dense at some seeds, sparse at others, so buckets cross their size limits both ways.
      const density = 0.1 + rng() * 0.5;

      for (let round = 0; round < 8; round++) {
        const writes: RelationTuple[] = [];
        const deletes: RelationTuple[] = [];
        for (const tuple of all) {
          const has = held.has(key(tuple));
          if (!has && rng() < density / 4) writes.push(tuple);
          else if (has && rng() < 0.25) deletes.push(tuple);
        }
        store.delete(deletes);
        store.write(writes);
        for (const t of deletes) held.delete(key(t));
        for (const t of writes) held.set(key(t), t);

        const freshStore = new TupleStore();
        freshStore.write([...held.values()]);
        const fresh = createEngine(model!, freshStore);

        for (const user of [...USERS, "group:g0#member", "user:nobody"]) {
          for (const [objects, relations] of [
            [GROUPS, ["member"]],
            [FOLDERS, ["viewer", "parent"]],
            [DOCUMENTS, ["viewer", "owner", "blocked"]],
          ] as const) {
            for (const object of objects) {
              for (const relation of relations) {
                const question = {
                  object,
                  relation,
                  user,
                  at: AT,
                  context: CONTEXTS[(round + object.length) % 3],
                };
                const got = check(live, question);
                const context = `seed ${seed} round ${round}: ${JSON.stringify(question)}`;
                expect(got, context).toEqual(check(fresh, question));
                expect(check(live, { ...question, explain: true }).allowed, `explained ${context}`).toBe(
                  got.allowed,
                );
              }
            }
            for (const relation of relations) {
              const type = objects[0]!.split(":")[0]!;
              if (user === USERS[0]) {
                // Once per object and relation, not per user: listUsers takes no user.
                for (const object of [...objects, `${type}:unnamed`]) {
                  const question = {
                    object,
                    relation,
                    at: AT,
                    context: CONTEXTS[round % 3],
                    userFilters: [
                      { type: "user" },
                      { type: "group", relation: "member" },
                      ...relations.map((r) => ({ type, relation: r })),
                    ],
                  };
                  expect(listUsers(live, question), JSON.stringify(question)).toEqual(
                    listUsers(fresh, question),
                  );
                }
              }
              const question = { type, relation, user, at: AT, context: CONTEXTS[round % 3] };
              expect(listObjects(live, question), JSON.stringify(question)).toEqual(
                listObjects(fresh, question),
              );
            }
          }
        }
      }
    });
  }
});
