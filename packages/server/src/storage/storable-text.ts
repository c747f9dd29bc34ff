// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what this looks for.
const UNSTORABLE = /\u0000|\p{Cs}/u;

/**
 * Whether PostgreSQL can store the string as text or inside jsonb: it takes neither NUL nor half of a
 * surrogate pair (the `u` flag reads a whole pair as one code point, so only a lone half matches).
 */
export function isStorableText(value: string): boolean {
  return !UNSTORABLE.test(value);
}
