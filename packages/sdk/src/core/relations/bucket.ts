/**
 * A set of numbers stored as compactly as its size allows: most (object, relation) pairs hold one or a few
 * subjects, and a million one-element `Set`s would cost hundreds of megabytes.
 */
export type Bucket = number | number[] | Set<number>;

const ARRAY_MAX = 12;

export function bucketHas(b: Bucket | undefined, x: number): boolean {
  if (b === undefined) return false;
  if (typeof b === "number") return b === x;
  if (Array.isArray(b)) {
    for (let i = 0; i < b.length; i++) if (b[i] === x) return true;
    return false;
  }
  return b.has(x);
}

/** Returns the bucket to store (possibly a new container); callers check `bucketHas` first to avoid duplicates. */
export function bucketAdd(b: Bucket | undefined, x: number): Bucket {
  if (b === undefined) return x;
  if (typeof b === "number") return b === x ? b : [b, x];
  if (Array.isArray(b)) {
    if (b.includes(x)) return b;
    if (b.length < ARRAY_MAX) {
      b.push(x);
      return b;
    }
    const set = new Set(b);
    set.add(x);
    return set;
  }
  b.add(x);
  return b;
}

/** Returns the bucket to store, or undefined once empty. */
export function bucketRemove(b: Bucket | undefined, x: number): Bucket | undefined {
  if (b === undefined) return undefined;
  if (typeof b === "number") return b === x ? undefined : b;
  if (Array.isArray(b)) {
    const i = b.indexOf(x);
    if (i >= 0) b.splice(i, 1);
    if (b.length === 0) return undefined;
    return b.length === 1 ? b[0] : b;
  }
  b.delete(x);
  return b.size === 0 ? undefined : b;
}

export function bucketSize(b: Bucket | undefined): number {
  if (b === undefined) return 0;
  if (typeof b === "number") return 1;
  return Array.isArray(b) ? b.length : b.size;
}

/** A readonly view for iteration with `for...of` without copying. */
export function bucketValues(b: Bucket | undefined): Iterable<number> {
  if (b === undefined) return EMPTY;
  if (typeof b === "number") return [b];
  return b;
}

const EMPTY: readonly number[] = [];
