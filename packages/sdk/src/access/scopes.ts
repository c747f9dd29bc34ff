/** What a caller's scopes make of an operation's requirement (OR of ANDs). */
export type ScopeVerdict =
  | { ok: true; matched: readonly string[] }
  /**
   * `nearest` is the alternative missing the fewest scopes (ties: the one the caller already holds most of,
   * then the first): what RFC 6750's `scope` attribute should name.
   */
  | { ok: false; nearest: readonly string[]; missing: readonly string[] };

/** `alternatives: []` is a public operation; a caller passes with every scope of any one alternative. */
export function checkScopes(
  alternatives: readonly (readonly string[])[],
  held: ReadonlySet<string>,
): ScopeVerdict {
  if (alternatives.length === 0) return { ok: true, matched: [] };
  let nearest: readonly string[] = alternatives[0]!;
  let fewest = Number.POSITIVE_INFINITY;
  let most = -1;
  for (const alternative of alternatives) {
    let missing = 0;
    for (const scope of alternative) if (!held.has(scope)) missing++;
    if (missing === 0) return { ok: true, matched: alternative };
    const has = alternative.length - missing;
    if (missing < fewest || (missing === fewest && has > most)) {
      fewest = missing;
      most = has;
      nearest = alternative;
    }
  }
  return { ok: false, nearest, missing: nearest.filter((s) => !held.has(s)) };
}
