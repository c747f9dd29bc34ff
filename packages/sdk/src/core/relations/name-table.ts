/**
 * Object names to ids (indices into `names`), for the index: a check looks up two names (object and user)
 * among about as many names as there are tuples, and with a million of them each lookup is a few cache
 * misses, which is most of what a direct check costs. A `Map<string, number>` walks a chain of entries and
 * reads each entry's key string (scattered over the heap, and for a name built by concatenation, a rope
 * pointing at a second object) to compare it. This table is open addressing with linear probing, at most 3/4
 * full, over `[hash, index, offset]` slots in an Int32Array; `offset` points into a byte arena that holds each
 * name's characters, 0-terminated. A lookup reads one slot (or a few neighbouring ones) and the characters of
 * the one name whose hash matches, both in compact memory.
 *
 * Names with a character outside Latin-1 or a NUL (valid tuples have neither, but the table does not rely
 * on it) are compared against `names` instead (offset -1).
 *
 * The hash is seeded per table family (an overlay shares its parent's seed), so which names collide cannot
 * be chosen from outside.
 */
import { seededHash } from "../hash";

export const NOT_FOUND = -1;

const SLOT = 3;

export class NameTable {
  /** `[hash, index, offset]` per slot; an empty slot has index NOT_FOUND. */
  private slots: Int32Array;
  private mask: number;
  private count = 0;
  private arena: Uint8Array;
  private arenaUsed = 0;

  /** `names[index]` is the name stored under `index`. */
  constructor(
    readonly seed: number,
    private readonly names: readonly string[],
    capacity = 16,
  ) {
    let size = 16;
    while (size < capacity) size *= 2;
    this.slots = emptySlots(size);
    this.mask = size - 1;
    this.arena = new Uint8Array(size * 8);
  }

  get size(): number {
    return this.count;
  }

  hash(name: string): number {
    return seededHash(this.seed, name);
  }

  /** The index of `name`, whose hash is `hash`; NOT_FOUND when absent. */
  get(name: string, hash: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = hash & mask;
    for (;;) {
      const at = i * SLOT;
      const index = slots[at + 1]!;
      if (index === NOT_FOUND) return NOT_FOUND;
      if (slots[at] === hash && this.matches(name, index, slots[at + 2]!)) return index;
      i = (i + 1) & mask;
    }
  }

  /** Adds `name` (which must be absent) under `index`, with its hash. */
  add(name: string, hash: number, index: number): void {
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) this.grow();
    this.place(hash, index, this.store(name));
    this.count++;
  }

  private matches(name: string, index: number, offset: number): boolean {
    if (offset < 0) return this.names[index] === name;
    const arena = this.arena;
    const n = name.length;
    // Stored names hold no NUL, so the terminator also settles a name that is a prefix of the other.
    for (let k = 0; k < n; k++) if (arena[offset + k] !== name.charCodeAt(k)) return false;
    return arena[offset + n] === 0;
  }

  /** Copies `name` into the arena; its offset, or -1 when it cannot be stored there. */
  private store(name: string): number {
    const n = name.length;
    for (let k = 0; k < n; k++) {
      const c = name.charCodeAt(k);
      if (c === 0 || c > 255) return -1;
    }
    if (this.arenaUsed + n + 1 > this.arena.length) {
      let size = this.arena.length * 2;
      while (size < this.arenaUsed + n + 1) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = grown;
    }
    const offset = this.arenaUsed;
    const arena = this.arena;
    for (let k = 0; k < n; k++) arena[offset + k] = name.charCodeAt(k);
    arena[offset + n] = 0;
    this.arenaUsed = offset + n + 1;
    return offset;
  }

  private place(hash: number, index: number, offset: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = hash & mask;
    while (slots[i * SLOT + 1] !== NOT_FOUND) i = (i + 1) & mask;
    const at = i * SLOT;
    slots[at] = hash;
    slots[at + 1] = index;
    slots[at + 2] = offset;
  }

  private grow(): void {
    const old = this.slots;
    const size = (this.mask + 1) * 2;
    this.slots = emptySlots(size);
    this.mask = size - 1;
    for (let at = 0; at < old.length; at += SLOT) {
      const index = old[at + 1]!;
      if (index !== NOT_FOUND) this.place(old[at]!, index, old[at + 2]!);
    }
  }
}

function emptySlots(size: number): Int32Array {
  const slots = new Int32Array(size * SLOT);
  for (let i = 1; i < slots.length; i += SLOT) slots[i] = NOT_FOUND;
  return slots;
}
