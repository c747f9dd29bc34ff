/** Where a verifier finds the public key for a token's `kid`. */
export interface KeySource {
  /** The verification key for `kid` and `alg`, or undefined when the set has none. */
  getKey(kid: string, alg: string): Promise<CryptoKey | undefined>;
}

export interface Jwk {
  kty?: string;
  kid?: string;
  alg?: string;
  use?: string;
  crv?: string;
  x?: string;
  y?: string;
  [name: string]: unknown;
}

export interface JsonWebKeySet {
  keys: Jwk[];
}

/**
 * Imports the usable verification keys of a set: EC P-256 keys for ES256, `use` absent or `sig`. Anything
 * else (RSA, private parts, other curves) is skipped, not an error: a set may hold keys for other verifiers.
 */
export async function importKeySet(set: unknown): Promise<Map<string, CryptoKey>> {
  const keys = new Map<string, CryptoKey>();
  if (typeof set !== "object" || set === null || !Array.isArray((set as JsonWebKeySet).keys)) {
    throw new TypeError("a JWKS must be an object with a keys array");
  }
  for (const jwk of (set as JsonWebKeySet).keys) {
    if (typeof jwk !== "object" || jwk === null || typeof jwk.kid !== "string" || keys.has(jwk.kid)) continue;
    if (jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.x !== "string" || typeof jwk.y !== "string")
      continue;
    if ((jwk.alg !== undefined && jwk.alg !== "ES256") || (jwk.use !== undefined && jwk.use !== "sig"))
      continue;
    try {
      // Only the public coordinates are imported: a published private part must never become usable here.
      const key = await crypto.subtle.importKey(
        "jwk",
        { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, ext: true },
        { name: "ECDSA", namedCurve: "P-256" },
        false,
        ["verify"],
      );
      keys.set(jwk.kid, key);
    } catch {
      // A malformed key is skipped; the tokens it would have verified fail as an unknown kid.
    }
  }
  return keys;
}

/** A fixed key set, given inline (tests, or keys pinned in configuration). */
export class LocalJwks implements KeySource {
  readonly #keys: Promise<Map<string, CryptoKey>>;

  constructor(set: JsonWebKeySet) {
    this.#keys = importKeySet(set);
  }

  async getKey(kid: string, alg: string): Promise<CryptoKey | undefined> {
    return alg === "ES256" ? (await this.#keys).get(kid) : undefined;
  }
}

export interface RemoteJwksOptions {
  fetch?: typeof fetch;
  /** Bounds on how long a fetched set is trusted, whatever its Cache-Control says. */
  minMaxAgeSec?: number;
  maxMaxAgeSec?: number;
  /** Used when the response carries no usable max-age. */
  defaultMaxAgeSec?: number;
  /** An unknown kid refetches the set at most once per this many seconds. Default 10. */
  refetchIntervalSec?: number;
  timeoutMs?: number;
  now?: () => number;
  /** Sees fetch failures; the cache then keeps serving the keys it has. */
  onError?: (error: unknown) => void;
}

/**
 * A JWKS fetched over HTTP and cached by kid. The set is refreshed when its max-age runs out, and at most
 * once per `refetchIntervalSec` when a token names a kid it lacks (a key rotation), so a stream of tokens
 * with made-up kids cannot turn into a stream of requests to the issuer.
 */
export class RemoteJwks implements KeySource {
  readonly #uri: string;
  readonly #fetch: typeof fetch;
  readonly #min: number;
  readonly #max: number;
  readonly #default: number;
  readonly #interval: number;
  readonly #timeout: number;
  readonly #now: () => number;
  readonly #onError: ((error: unknown) => void) | undefined;
  #keys = new Map<string, CryptoKey>();
  #expiresAt = 0;
  #lastFetchAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;

  constructor(uri: string, options: RemoteJwksOptions = {}) {
    this.#uri = uri;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#min = options.minMaxAgeSec ?? 30;
    this.#max = options.maxMaxAgeSec ?? 86_400;
    this.#default = options.defaultMaxAgeSec ?? 600;
    this.#interval = options.refetchIntervalSec ?? 10;
    this.#timeout = options.timeoutMs ?? 5_000;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError;
  }

  /** How many usable keys the cache holds now. */
  get size(): number {
    return this.#keys.size;
  }

  /** Fetches the set now; rejects if it cannot (a gateway calls this at start, to fail loudly). */
  async refresh(): Promise<void> {
    this.#inflight ??= this.#load().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async getKey(kid: string, alg: string): Promise<CryptoKey | undefined> {
    if (alg !== "ES256") return undefined;
    const now = this.#now();
    if (now >= this.#expiresAt) await this.#tryRefresh();
    const key = this.#keys.get(kid);
    if (key) return key;
    if (this.#now() - this.#lastFetchAt < this.#interval * 1000) return undefined;
    await this.#tryRefresh();
    return this.#keys.get(kid);
  }

  async #tryRefresh(): Promise<void> {
    try {
      await this.refresh();
    } catch (error) {
      // Stale keys still verify the tokens they signed: an issuer outage must not log every caller out.
      this.#onError?.(error);
    }
  }

  async #load(): Promise<void> {
    this.#lastFetchAt = this.#now();
    try {
      const response = await this.#fetch(this.#uri, {
        headers: { accept: "application/jwk-set+json, application/json" },
        signal: AbortSignal.timeout(this.#timeout),
      });
      if (!response.ok) throw new Error(`JWKS ${this.#uri} answered ${response.status}`);
      this.#keys = await importKeySet(await response.json());
      this.#expiresAt = this.#now() + this.#maxAge(response.headers.get("cache-control")) * 1000;
    } catch (error) {
      // A failed fetch is retried after the refetch interval, not on every request.
      this.#expiresAt = this.#now() + this.#interval * 1000;
      throw error;
    }
  }

  #maxAge(cacheControl: string | null): number {
    const match = cacheControl ? /(?:^|[,\s])max-age=(\d+)/i.exec(cacheControl) : null;
    const seconds = match ? Number(match[1]) : this.#default;
    return Math.min(this.#max, Math.max(this.#min, seconds));
  }
}
