import { ExpiringCache } from "./cache";

/** Tessera's API keys: `tsr_live_…` and `tsr_test_…`. */
export function looksLikeApiKey(value: string): boolean {
  return value.startsWith("tsr_live_") || value.startsWith("tsr_test_");
}

/** What `POST /v1/keys/verify` answers. `valid: false` is a value, with the reason in `code`. */
export interface KeyVerification {
  valid: boolean;
  code: string;
  tenantId?: string | null;
  applicationId?: string | null;
  api?: string | null;
  scopes?: string[];
}

export interface ApiKeyVerifierOptions {
  /** `<tessera>/v1/keys/verify`. */
  verifyUrl: string;
  /** A server key with the right to verify keys. */
  serverKey: string;
  /** How long an answer is reused, valid or not. Default 5 s: a revoked key stops working within it. */
  cacheSeconds?: number;
  maxEntries?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * Verifies API keys through Tessera, with a short cache so a busy key costs one call per `cacheSeconds`.
 * Concurrent misses for one key share a call. Throws when Tessera cannot answer: the caller turns that into
 * a 503, never into a pass.
 */
export class ApiKeyVerifier {
  readonly #options: ApiKeyVerifierOptions;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #cache: ExpiringCache<KeyVerification>;
  readonly #inflight = new Map<string, Promise<KeyVerification>>();

  constructor(options: ApiKeyVerifierOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? Date.now;
    this.#cache = new ExpiringCache(options.maxEntries ?? 10_000);
  }

  async verify(key: string, ip?: string): Promise<KeyVerification> {
    // A key may be limited to some addresses, so the answer is only reused for the same one.
    const cacheKey = ip ? `${key}\u0000${ip}` : key;
    const cached = this.#cache.get(cacheKey, this.#now());
    if (cached) return cached;
    let pending = this.#inflight.get(cacheKey);
    if (!pending) {
      pending = this.#call(key, ip).finally(() => this.#inflight.delete(cacheKey));
      this.#inflight.set(cacheKey, pending);
    }
    const answer = await pending;
    const ttl = (this.#options.cacheSeconds ?? 5) * 1000;
    if (ttl > 0) this.#cache.set(cacheKey, answer, this.#now() + ttl);
    return answer;
  }

  async #call(key: string, ip: string | undefined): Promise<KeyVerification> {
    const response = await this.#fetch(this.#options.verifyUrl, {
      method: "POST",
      headers: {
        authorization: `Bearer ${this.#options.serverKey}`,
        "content-type": "application/json",
        accept: "application/json",
      },
      body: JSON.stringify(ip ? { key, ip } : { key }),
      signal: AbortSignal.timeout(this.#options.timeoutMs ?? 5_000),
    });
    if (!response.ok) throw new Error(`key verification answered ${response.status}`);
    const body = (await response.json()) as KeyVerification;
    if (typeof body !== "object" || body === null || typeof body.valid !== "boolean")
      throw new Error("key verification answered no verdict");
    return body;
  }
}
