/**
 * 32-bit FNV-1a over UTF-16 code units. Rollouts need a hash that is stable across processes,
 * runtimes and releases (the SDK and the server must bucket a tenant the same way), cheap, and
 * evenly spread; cryptographic strength is not needed.
 */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The bucket (0–9999) of a subject in a flag's rollout; percentages have two decimals of precision. */
export function rolloutBucket(flagKey: string, subjectId: string): number {
  return fnv1a(`${flagKey}:${subjectId}`) % 10_000;
}

export function inRollout(flagKey: string, subjectId: string, percentage: number): boolean {
  if (percentage >= 100) return true;
  if (percentage <= 0) return false;
  return rolloutBucket(flagKey, subjectId) < Math.round(percentage * 100);
}

/**
 * A 32-bit hash for in-memory hash tables over names that outsiders choose (tenant, user and object ids):
 * FNV-1a from a per-table random seed, then murmur3's final mix so the low bits, which pick the slot, depend
 * on every character. With the seed secret, which names collide cannot be chosen from outside. Not stable
 * across tables or processes: never persist it (rollouts use fnv1a).
 */
export function seededHash(seed: number, text: string): number {
  let h = seed ^ text.length;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
