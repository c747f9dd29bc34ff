import * as crypto from "node:crypto";

/** 32 random bytes, base64url: 256 bits, beyond guessing, so a fast hash is enough to store it. */
export function generateSecret(prefix: string): string {
  return `${prefix}${crypto.randomBytes(32).toString("base64url")}`;
}

/** Node ≥ 20.12 hashes in one call, without a Hash object per secret; older Node 20 lines build one. */
const oneShot = (crypto as { hash?: typeof crypto.hash }).hash;

/** SHA-256 of the secret (UTF-8), hex: what is stored, and the key it is looked up by. */
export const hashSecret: (secret: string) => string =
  typeof oneShot === "function"
    ? (secret) => oneShot("sha256", secret, "hex")
    : (secret) => crypto.createHash("sha256").update(secret, "utf8").digest("hex");

/** Constant-time equality of two hex digests of the same length. */
export function sameHash(a: string, b: string): boolean {
  return sameDigest(Buffer.from(a, "hex"), b);
}

/**
 * Constant-time equality of a stored digest, already decoded (do it once, when the record is indexed), and
 * a hex digest just computed.
 */
export function sameDigest(stored: Buffer, hex: string): boolean {
  const computed = Buffer.from(hex, "hex");
  return stored.length === computed.length && crypto.timingSafeEqual(stored, computed);
}

/** A hint safe to show in lists and logs: the prefix and the last four characters. */
export function displayOf(secret: string, prefix: string): string {
  return `${prefix}…${secret.slice(-4)}`;
}
