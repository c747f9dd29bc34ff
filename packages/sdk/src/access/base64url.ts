/** base64url without padding (RFC 7515 §2), as JWS uses it. Pure: runs in Node and edge runtimes alike. */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LOOKUP = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** The bytes of a base64url string, or undefined when it is not one (padding, `+`, `/` and stray bits refused). */
export function decodeBase64Url(input: string): Uint8Array<ArrayBuffer> | undefined {
  const length = input.length;
  // A length of 1 mod 4 cannot come from any byte string.
  if (length % 4 === 1) return undefined;
  const out = new Uint8Array((length * 3) >> 2);
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < length; i++) {
    const code = input.charCodeAt(i);
    const value = code < 128 ? LOOKUP[code]! : -1;
    if (value === -1) return undefined;
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or two strings would decode to the same bytes (a malleable token).
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** A base64url segment holding a JSON object, or undefined for anything else. */
export function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeBase64Url(segment);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
