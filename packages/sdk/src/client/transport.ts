import { TesseraApiError, TesseraConnectionError, toProblem } from "./errors";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** Where the API lives, e.g. `http://127.0.0.1:4000`; a path prefix (`https://host/tessera`) is kept. */
  baseUrl: string;
  /** A management token (`tsr_mgmt_…`) or a server key (`tsr_sk_…`). */
  token: string;
  /** Defaults to the global `fetch`; pass one to add tracing, retries or a test double. */
  fetch?: FetchLike | undefined;
  /** Per request, including reading the body. Default 5000 ms; 0 disables it. */
  timeoutMs?: number | undefined;
}

export interface RequestOptions {
  /** Aborts the request; its reason is rethrown as is, so callers can tell it from a timeout. */
  signal?: AbortSignal | undefined;
}

export type Query = Record<string, string | number | undefined>;

const DEFAULT_TIMEOUT_MS = 5000;

/** The one place the client talks HTTP: auth, JSON, timeouts, and problem → error mapping. */
export class Transport {
  private readonly base: string;
  private readonly token: string;
  private readonly fetchFn: FetchLike;
  private readonly timeoutMs: number;

  constructor(options: TransportOptions) {
    if (!options.baseUrl) throw new TypeError("TesseraClient: baseUrl is required");
    if (!options.token) throw new TypeError("TesseraClient: token is required");
    // Validates early: a bad base URL should fail at construction, not on the first check in production.
    this.base = baseOf(options.baseUrl);
    this.token = options.token;
    // Bound lazily so a fetch installed or patched after construction (tests, polyfills) is still used.
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  url(path: string, query?: Query): string {
    const url = new URL(this.base + path);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.href;
  }

  /**
   * A call answered with a JSON object (every call but a delete). A 2xx with an empty body, `null`, an array or
   * any other non-object is refused as unreadable, rather than handed back for the caller to trip over
   * (`decision.entitled` on null is a TypeError far from its cause).
   */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    query?: Query,
    options?: RequestOptions,
  ): Promise<T> {
    const answer = await this.exchange(method, path, body, query, options);
    if (typeof answer !== "object" || answer === null || Array.isArray(answer)) {
      const got =
        answer === undefined
          ? "an empty body"
          : answer === null
            ? "null"
            : Array.isArray(answer)
              ? "an array"
              : `a ${typeof answer}`;
      throw new TesseraConnectionError(`${method} ${path}: expected a JSON object, got ${got}`);
    }
    return answer as T;
  }

  /** A call whose answer carries nothing (a delete's 204): any body, or none, is accepted and dropped. */
  async requestNoContent(
    method: string,
    path: string,
    body?: unknown,
    query?: Query,
    options?: RequestOptions,
  ): Promise<void> {
    await this.exchange(method, path, body, query, options);
  }

  /** Sends one request and returns its parsed 2xx body (undefined when empty); errors are thrown mapped. */
  private async exchange(
    method: string,
    path: string,
    body: unknown,
    query: Query | undefined,
    options: RequestOptions | undefined,
  ): Promise<unknown> {
    const controller = new AbortController();
    let timedOut = false;
    const timer =
      this.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, this.timeoutMs)
        : undefined;
    // AbortSignal.any is missing from Node 20.0–20.2 and some edge runtimes, so the caller's signal is chained by hand.
    const outer = options?.signal;
    const onAbort = () => controller.abort(outer?.reason);
    if (outer?.aborted) onAbort();
    else outer?.addEventListener("abort", onAbort, { once: true });

    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: "application/json",
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    try {
      const response = await this.fetchFn(this.url(path, query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
        // Tessera's API never redirects: an answer from wherever a redirect leads is no decision of its.
        redirect: "error",
      });
      // The body is read under the same timer: a server that sends headers and then stalls is still too slow.
      const text = await response.text();
      const parsed = parse(text);
      if (!response.ok) throw new TesseraApiError(toProblem(response.status, response.statusText, parsed));
      if (text.length > 0 && parsed === text) {
        throw new TesseraConnectionError(`${method} ${path}: the response is not JSON`);
      }
      return parsed;
    } catch (error) {
      if (error instanceof TesseraApiError || error instanceof TesseraConnectionError) throw error;
      if (timedOut) {
        throw new TesseraConnectionError(`${method} ${path}: no answer within ${this.timeoutMs} ms`, {
          cause: error,
          timedOut: true,
        });
      }
      if (outer?.aborted) throw outer.reason;
      throw new TesseraConnectionError(`${method} ${path}: ${describe(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    }
  }
}

/**
 * The base URL, without its trailing slashes: http(s), and nothing that paths appended to it would land in
 * (a query or a fragment) or that fetch refuses to send (a user name or password).
 */
function baseOf(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new TypeError(`TesseraClient: baseUrl must be an http:// or https:// URL, not ${url.protocol}`);
  if (url.search !== "" || url.hash !== "" || baseUrl.includes("?") || baseUrl.includes("#"))
    throw new TypeError("TesseraClient: baseUrl must have no query or fragment");
  if (url.username !== "" || url.password !== "")
    throw new TypeError("TesseraClient: baseUrl must hold no user name or password");
  return url.href.replace(/\/+$/, "");
}

/** JSON when it parses, else the raw text (a proxy's HTML error page, say), so the caller can report it. */
function parse(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return error.message + cause;
}
