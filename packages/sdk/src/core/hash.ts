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
