import type { Effective } from "./effective";
import { seededHash } from "./hash";
import type { TenantEntry } from "./snapshot";

/**
 * The evaluator's way to a tenant: everything a common decision reads about one tenant (its id, its memoised
 * plan bundle and window, its members with their role sets) in one contiguous block of 32-bit words, found
 * through an open-addressing table of (hash, block) pairs.
 *
 * Why not a Map of objects: once tenants outnumber the CPU cache, a decision's cost is the number of distinct
 * cache lines (and, on a virtual machine, pages) it touches. Through `Map<string, TenantEntry>` a decision
 * reads the map's bucket and entry, the stored key string, the entry, the members map, its table, the
 * member's key and the member: each a separate object somewhere in a heap of hundreds of megabytes. Here it
 * reads one slot and one block, usually two or three adjacent cache lines. The objects stay the source of
 * truth (`Snapshot.tenants`); this index is rebuilt from an entry whenever the entry is.
 *
 * Keys are compared in full (stored as UTF-16 code units, two per word), so a hash collision costs a compare,
 * never a wrong answer; the hash is seeded per index, so nobody can choose ids that pile into one probe run.
 */

/** `find`: no such tenant. `member`: the tenant has no such member (or no user was named). */
export const ABSENT = -1;
/** `member`: the tenant's members are not inline (it has many); look the user up in its entry. */
export const ELSEWHERE = -2;

/** `memo`: nothing memoised holds. */
export const MISS = -1;
/** `memo`: the tenant's own entitlements (it has grants) hold; `ownMemo` returns them. */
export const OWN = -2;

/** Past this many members, a tenant's members are looked up in its entry's map rather than scanned here. */
export const MAX_INLINE_MEMBERS = 32;

// A block, in words from its start; blocks start at even words so the two doubles are 8-byte aligned.
const SIZE = 0; // the block's length in words
const REF = 1; // the entry's index in `entries`; -1 once the block is dead
const MEMO_GENERATION = 2; // the catalog generation the memo was computed under; -1 for none
const MEMO_BUNDLE = 3; // the id of the shared plan bundle that holds in the window, or OWN
const MEMO_FROM = 4; // a double: words 4–5
const MEMO_UNTIL = 6; // a double: words 6–7
const MEMBERS = 8; // how many member records follow the key, or -1 when they are not inline
const MEMO_OPEN = 9; // 1 when the memo's window never ends and had begun by a clock reading (memoNow)
const KEY = 10; // the key's length in code units, then the key, two units per word

// A member record, in words from its start.
const M_HASH = 0;
const M_ROLE_SET = 1;
const M_GRANTED = 2; // for a member with grants, its place in the tenant's `granted` list plus one; else 0
const M_KEY = 3; // the user id's length, then the id

/** What the index needs of a member: its role set's id (see Snapshot.roleSets) and whether it has grants. */
export interface IndexedMember {
  roleSet: number;
  grants: readonly unknown[];
}

export class TenantIndex<M extends IndexedMember = IndexedMember> {
  private words = new Int32Array(1_024);
  private doubles = new Float64Array(this.words.buffer);
  /** The next free word of `words`. */
  private top = 0;
  /** Words held by live blocks; the rest below `top` is garbage that compaction reclaims. */
  private live = 0;
  /** Pairs (hash, block); a hash of 0 marks an empty slot. Never more than half full. */
  private slots = new Int32Array(32);
  private count = 0;
  private readonly entries: (TenantEntry | undefined)[] = [];
  /** By the same index as `entries`: the memoised entitlements of a tenant that has its own. */
  private readonly owned: (Effective | undefined)[] = [];
  /**
   * By the same index: the tenant's members that have grants of their own, which a decision about them reads
   * (few do: the rest are answered from their record alone).
   */
  private readonly granted: (M[] | undefined)[] = [];
  private readonly freeRefs: number[] = [];

  constructor(private readonly seed = (Math.random() * 2 ** 32) | 0) {}

  get size(): number {
    return this.count;
  }

  /** The index's hash of an id: never 0, which marks an empty slot. Public for tests that need collisions. */
  hash(text: string): number {
    return seededHash(this.seed, text) || 1;
  }

  /** The tenant's block, or ABSENT. */
  find(id: string): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const hash = this.hash(id);
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const stored = slots[slot * 2];
      if (stored === 0) return ABSENT;
      if (stored === hash) {
        const block = slots[slot * 2 + 1]!;
        if (this.keyIs(block + KEY, id)) return block;
      }
    }
  }

  /** The user's member record in the tenant's block, ABSENT if the user is not a member, or ELSEWHERE. */
  member(block: number, userId: string): number {
    const words = this.words;
    const n = words[block + MEMBERS]!;
    if (n < 0) return ELSEWHERE;
    const hash = this.hash(userId);
    let record = block + KEY + 1 + wordsFor(words[block + KEY]!);
    for (let k = 0; k < n; k++) {
      if (words[record + M_HASH] === hash && this.keyIs(record + M_KEY, userId)) return record;
      record += M_KEY + 1 + wordsFor(words[record + M_KEY]!);
    }
    return ABSENT;
  }

  roleSet(record: number): number {
    return this.words[record + M_ROLE_SET]!;
  }

  hasGrants(record: number): boolean {
    return this.words[record + M_GRANTED] !== 0;
  }

  /** The member of `record` in `block`; only for a record whose member has grants (`hasGrants`). */
  grantedMember(block: number, record: number): M {
    return this.granted[this.words[block + REF]!]![this.words[record + M_GRANTED]! - 1]!;
  }

  entry(block: number): TenantEntry {
    return this.entries[this.words[block + REF]!]!;
  }

  /**
   * What holds for the tenant at `at`, if the memo was made under catalog `generation` and its window holds
   * `at`: a shared bundle's id (Catalog.bundleList), or OWN; else MISS.
   */
  memo(block: number, generation: number, at: number): number {
    const words = this.words;
    if (words[block + MEMO_GENERATION] !== generation) return MISS;
    const doubles = this.doubles;
    const d = block >> 1;
    if (at >= doubles[d + (MEMO_FROM >> 1)]! && at < doubles[d + (MEMO_UNTIL >> 1)]!)
      return words[block + MEMO_BUNDLE]!;
    return MISS;
  }

  /**
   * What holds for the tenant now, without the time: answered when the memo was made under catalog
   * `generation` and its window never ends and had already begun by a reading of the clock, so that it
   * holds at every later instant. Else MISS, and the caller asks `memo` with the time. Most tenants have an
   * open-ended subscription and no expiring grant, so most decisions about now need no clock. (A wall clock
   * stepped back past `from` afterwards goes unnoticed: what has begun stays begun.)
   */
  memoNow(block: number, generation: number): number {
    const words = this.words;
    if (words[block + MEMO_GENERATION] !== generation || words[block + MEMO_OPEN] !== 1) return MISS;
    return words[block + MEMO_BUNDLE]!;
  }

  /** Records that a reading of the clock fell inside the memo's window (see memoNow). */
  begun(block: number): void {
    const words = this.words;
    if (
      words[block + MEMO_OPEN] === 0 &&
      this.doubles[(block >> 1) + (MEMO_UNTIL >> 1)] === Number.POSITIVE_INFINITY
    )
      words[block + MEMO_OPEN] = 1;
  }

  /** The tenant's own memoised entitlements; only after `memo` answered OWN. */
  ownMemo(block: number): Effective {
    return this.owned[this.words[block + REF]!]!;
  }

  /**
   * Memoises what holds for the tenant in [from, until) under catalog `generation`; `begun`: a reading of
   * the clock has passed `from` (see memoNow).
   */
  remember(
    block: number,
    generation: number,
    from: number,
    until: number,
    effective: Effective,
    begun: boolean,
  ): void {
    const words = this.words;
    const d = block >> 1;
    const ref = words[block + REF]!;
    const shared = effective.bundleId >= 0;
    words[block + MEMO_GENERATION] = generation;
    words[block + MEMO_BUNDLE] = shared ? effective.bundleId : OWN;
    words[block + MEMO_OPEN] = begun && until === Number.POSITIVE_INFINITY ? 1 : 0;
    this.owned[ref] = shared ? undefined : effective;
    this.doubles[d + (MEMO_FROM >> 1)] = from;
    this.doubles[d + (MEMO_UNTIL >> 1)] = until;
  }

  /** Adds the entry's tenant, or replaces it: a new block, with no memo. */
  set(entry: TenantEntry, members: ReadonlyMap<string, M>): void {
    const id = entry.tenant.id;
    this.delete(id);
    const inline = members.size <= MAX_INLINE_MEMBERS;
    let size = KEY + 1 + wordsFor(id.length);
    if (inline) for (const userId of members.keys()) size += M_KEY + 1 + wordsFor(userId.length);
    size += size & 1;
    const block = this.allocate(size);

    const ref = this.freeRefs.pop() ?? this.entries.length;
    this.entries[ref] = entry;
    this.owned[ref] = undefined;
    this.granted[ref] = undefined;
    const words = this.words;
    words[block + SIZE] = size;
    words[block + REF] = ref;
    words[block + MEMO_GENERATION] = -1;
    words[block + MEMO_BUNDLE] = -1;
    words[block + MEMBERS] = inline ? members.size : -1;
    words[block + MEMO_OPEN] = 0;
    let at = this.writeKey(block + KEY, id);
    if (inline) {
      let granted: M[] | undefined;
      for (const [userId, member] of members) {
        words[at + M_HASH] = this.hash(userId);
        words[at + M_ROLE_SET] = member.roleSet;
        if (member.grants.length > 0) {
          granted ??= [];
          granted.push(member);
          words[at + M_GRANTED] = granted.length;
        } else {
          words[at + M_GRANTED] = 0;
        }
        at = this.writeKey(at + M_KEY, userId);
      }
      this.granted[ref] = granted;
    }
    this.live += size;
    this.insert(this.hash(id), block);
  }

  delete(id: string): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const hash = this.hash(id);
    let slot = hash & mask;
    for (; ; slot = (slot + 1) & mask) {
      const stored = slots[slot * 2];
      if (stored === 0) return;
      if (stored === hash && this.keyIs(slots[slot * 2 + 1]! + KEY, id)) break;
    }
    const block = slots[slot * 2 + 1]!;
    const ref = this.words[block + REF]!;
    this.entries[ref] = undefined;
    this.owned[ref] = undefined;
    this.granted[ref] = undefined;
    this.freeRefs.push(ref);
    this.words[block + REF] = -1;
    this.live -= this.words[block + SIZE]!;
    this.count--;

    // Backward-shift deletion: pull later entries of the probe run into the hole, so lookups never need
    // tombstones. An entry at j may fill the hole if the hole lies on its probe path (home … j).
    let hole = slot;
    for (let j = (slot + 1) & mask; slots[j * 2] !== 0; j = (j + 1) & mask) {
      const home = slots[j * 2]! & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots[hole * 2] = slots[j * 2]!;
        slots[hole * 2 + 1] = slots[j * 2 + 1]!;
        hole = j;
      }
    }
    slots[hole * 2] = 0;
    slots[hole * 2 + 1] = 0;
  }

  /** Words in use and words allocated, for tests and memory reports. */
  stats(): { live: number; used: number; capacity: number; slots: number } {
    return { live: this.live, used: this.top, capacity: this.words.length, slots: this.slots.length >> 1 };
  }

  private keyIs(at: number, text: string): boolean {
    const words = this.words;
    const length = text.length;
    if (words[at] !== length) return false;
    let w = at + 1;
    let i = 0;
    for (; i + 1 < length; i += 2, w++) {
      if (words[w] !== (text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16))) return false;
    }
    return i === length || words[w] === text.charCodeAt(i);
  }

  /** Writes the length and the code units of `text` at `at`; returns the word after them. */
  private writeKey(at: number, text: string): number {
    const words = this.words;
    words[at] = text.length;
    let w = at + 1;
    let i = 0;
    for (; i + 1 < text.length; i += 2, w++) words[w] = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
    if (i < text.length) words[w++] = text.charCodeAt(i);
    return w;
  }

  private insert(hash: number, block: number): void {
    if ((this.count + 1) * 2 > this.slots.length >> 1) this.resizeSlots();
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let slot = hash & mask;
    while (slots[slot * 2] !== 0) slot = (slot + 1) & mask;
    slots[slot * 2] = hash;
    slots[slot * 2 + 1] = block;
    this.count++;
  }

  private resizeSlots(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = (slots.length >> 1) - 1;
    for (let s = 0; s < old.length; s += 2) {
      const hash = old[s]!;
      if (hash === 0) continue;
      let slot = hash & mask;
      while (slots[slot * 2] !== 0) slot = (slot + 1) & mask;
      slots[slot * 2] = hash;
      slots[slot * 2 + 1] = old[s + 1]!;
    }
    this.slots = slots;
  }

  /**
   * Room for a block of `size` words at the end. When the arena is full, live blocks are copied into a new
   * one sized half again over what they need, which leaves the garbage of replaced blocks behind; a write
   * thus pays for compaction in proportion to the blocks it replaced since the last one.
   */
  private allocate(size: number): number {
    if (this.top + size > this.words.length) {
      const needed = this.live + size;
      const capacity = Math.max(1_024, Math.ceil((needed * 1.5) / 2) * 2);
      const words = new Int32Array(capacity);
      const old = this.words;
      const slots = this.slots;
      let top = 0;
      for (let s = 0; s < slots.length; s += 2) {
        if (slots[s] === 0) continue;
        const block = slots[s + 1]!;
        const length = old[block + SIZE]!;
        words.set(old.subarray(block, block + length), top);
        slots[s + 1] = top;
        top += length;
      }
      this.words = words;
      this.doubles = new Float64Array(words.buffer);
      this.top = top;
    }
    const block = this.top;
    this.top += size;
    return block;
  }
}

function wordsFor(units: number): number {
  return (units + 1) >> 1;
}
