import { describe, expect, it } from "vitest";
import type { Effective } from "./effective";
import type { TenantEntry } from "./snapshot";
import { ABSENT, ELSEWHERE, MAX_INLINE_MEMBERS, MISS, OWN, TenantIndex } from "./tenant-index";

interface ModelMember {
  roleSet: number;
  grants: readonly unknown[];
}

function entryFor(id: string): TenantEntry {
  return {
    tenant: { id, name: id },
    subscriptions: [],
    grants: [],
    userGrants: new Map(),
    members: new Map(),
    memo: undefined,
    memoGeneration: -1,
    memoFrom: Number.NaN,
    memoUntil: Number.NaN,
  };
}

/** A deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Ids of odd and even lengths, empty, outside the BMP, with code units above 0x7fff (the sign bit of a word).
const ODD_IDS = ["", "a", "ab", "é", "\u{1F600}", "\uffff\u8000", "tnt_1", "tnt_10", "ü".repeat(41)];

describe("TenantIndex", () => {
  it("agrees with a Map through random sets, replacements and deletions", () => {
    const rng = random(7);
    const index = new TenantIndex();
    const model = new Map<string, { entry: TenantEntry; members: Map<string, ModelMember> }>();
    const ids = [...ODD_IDS, ...Array.from({ length: 400 }, (_, i) => `t${i}`)];
    const users = [...ODD_IDS, ...Array.from({ length: 60 }, (_, i) => `u${i}`)];
    for (let step = 0; step < 20_000; step++) {
      const id = ids[Math.floor(rng() * ids.length)]!;
      if (rng() < 0.3) {
        index.delete(id);
        model.delete(id);
      } else {
        const entry = entryFor(id);
        const members = new Map<string, ModelMember>();
        // Now and then more members than fit inline.
        const count = rng() < 0.05 ? MAX_INLINE_MEMBERS + 1 + Math.floor(rng() * 20) : Math.floor(rng() * 4);
        for (let k = 0; k < count; k++) {
          const user = users[Math.floor(rng() * users.length)]!;
          members.set(user, { roleSet: Math.floor(rng() * 1_000), grants: rng() < 0.2 ? [1] : [] });
        }
        index.set(entry, members);
        model.set(id, { entry, members });
      }
      if (step % 499 === 0) {
        expect(index.size).toBe(model.size);
        // Mismatches are collected rather than asserted one by one: a million expect() calls take minutes.
        const wrong: string[] = [];
        for (const probe of ids) {
          const block = index.find(probe);
          const expected = model.get(probe);
          if (!expected) {
            if (block !== ABSENT) wrong.push(`${probe}: found, should be absent`);
            continue;
          }
          if (block === ABSENT || index.entry(block) !== expected.entry) {
            wrong.push(`${probe}: wrong or no entry`);
            continue;
          }
          for (const user of users) {
            const record = index.member(block, user);
            const member = expected.members.get(user);
            const got = record < 0 ? record : `${index.roleSet(record)}/${index.hasGrants(record)}`;
            const want =
              expected.members.size > MAX_INLINE_MEMBERS
                ? ELSEWHERE
                : member
                  ? `${member.roleSet}/${member.grants.length > 0}`
                  : ABSENT;
            if (got !== want) wrong.push(`${probe}/${user}: ${got}, should be ${want}`);
            else if (record >= 0 && index.hasGrants(record) && index.grantedMember(block, record) !== member)
              wrong.push(`${probe}/${user}: another member's record`);
          }
        }
        expect(wrong, `after step ${step}`).toEqual([]);
      }
    }
    const { live, used, capacity } = index.stats();
    // Compaction ran (20k writes over ~400 tenants) and kept the arena within bounds of what is live.
    expect(used).toBeLessThanOrEqual(capacity);
    expect(capacity).toBeLessThan(Math.max(4 * live, 4_096));
  });

  it("tells apart two ids whose 32-bit hashes are equal", () => {
    const index = new TenantIndex();
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const id = `k${i}`;
      const other = seen.get(index.hash(id));
      if (other !== undefined) pair = [other, id];
      else seen.set(index.hash(id), id);
    }
    const [a, b] = pair;
    const ea = entryFor(a);
    index.set(ea, new Map([[b, { roleSet: 1, grants: [] }]]));
    expect(index.find(b)).toBe(ABSENT);
    const eb = entryFor(b);
    index.set(eb, new Map([[a, { roleSet: 2, grants: [] }]]));
    expect(index.entry(index.find(a))).toBe(ea);
    expect(index.entry(index.find(b))).toBe(eb);
    expect(index.member(index.find(a), a)).toBe(ABSENT);
    expect(index.roleSet(index.member(index.find(b), a))).toBe(2);
    index.delete(a);
    expect(index.find(a)).toBe(ABSENT);
    expect(index.entry(index.find(b))).toBe(eb);
  });

  it("keeps memos through compaction and drops them when the tenant is rebuilt", () => {
    const index = new TenantIndex();
    const effective = (bundleId: number) => ({ bundleId }) as Effective;
    const own = effective(-1);
    index.set(entryFor("shared"), new Map());
    index.set(entryFor("own"), new Map());
    index.remember(index.find("shared"), 3, 1_000, Number.POSITIVE_INFINITY, effective(5), true);
    index.remember(index.find("own"), 3, Number.NEGATIVE_INFINITY, 5_000, own, true);
    // Churn another tenant until the arena has been compacted several times.
    for (let i = 0; i < 5_000; i++)
      index.set(entryFor("churn"), new Map([[`u${i}`, { roleSet: 0, grants: [] }]]));
    const shared = index.find("shared");
    expect(index.memo(shared, 3, 1_000)).toBe(5);
    expect(index.memo(shared, 3, 999)).toBe(MISS);
    expect(index.memo(shared, 4, 2_000)).toBe(MISS);
    expect(index.memo(index.find("own"), 3, 4_999)).toBe(OWN);
    expect(index.ownMemo(index.find("own"))).toBe(own);
    expect(index.memo(index.find("own"), 3, 5_000)).toBe(MISS);
    expect(index.memoNow(shared, 3)).toBe(5);
    index.set(entryFor("shared"), new Map());
    index.set(entryFor("own"), new Map());
    expect(index.memo(index.find("shared"), 3, 2_000)).toBe(MISS);
    expect(index.memo(index.find("own"), 3, 2_000)).toBe(MISS);
    expect(index.memoNow(index.find("shared"), 3)).toBe(MISS);
  });

  it("answers a memo without the time only if its window never ends and had begun", () => {
    const index = new TenantIndex();
    const effective = (bundleId: number) => ({ bundleId }) as Effective;
    const own = effective(-1);
    for (const id of ["open", "ending", "not-begun", "own"]) index.set(entryFor(id), new Map());
    const forever = Number.POSITIVE_INFINITY;
    index.remember(index.find("open"), 3, 1_000, forever, effective(5), true);
    index.remember(index.find("ending"), 3, 1_000, 9_000, effective(6), true);
    index.remember(index.find("not-begun"), 3, 1_000, forever, effective(7), false);
    index.remember(index.find("own"), 3, Number.NEGATIVE_INFINITY, forever, own, true);
    expect(index.memoNow(index.find("open"), 3)).toBe(5);
    expect(index.memoNow(index.find("open"), 4)).toBe(MISS);
    expect(index.memoNow(index.find("ending"), 3)).toBe(MISS);
    expect(index.memoNow(index.find("not-begun"), 3)).toBe(MISS);
    expect(index.memoNow(index.find("own"), 3)).toBe(OWN);
    // A later memo that ends takes the answer without the time back.
    index.remember(index.find("open"), 3, 1_000, 2_000, effective(5), true);
    expect(index.memoNow(index.find("open"), 3)).toBe(MISS);
    expect(index.memo(index.find("open"), 3, 1_500)).toBe(5);
  });
});
