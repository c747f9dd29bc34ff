/** One invalid field of a request: a JSON pointer into it and what is wrong. */
export interface FieldError {
  pointer: string;
  message: string;
  code?: string | undefined;
}

/** RFC 9457 problem details as the Tessera API sends them, with a stable `code` to branch on. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors: FieldError[];
}

/** Base of every error the client throws, so callers can catch them all with one `instanceof`. */
export class TesseraError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TesseraError";
  }
}

/**
 * The API answered with an error status. A denial is never one of these: it is a 200 with
 * `entitled: false`, returned as a value.
 */
export class TesseraApiError extends TesseraError {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.name = "TesseraApiError";
    this.problem = problem;
  }

  get status(): number {
    return this.problem.status;
  }
  get code(): string {
    return this.problem.code;
  }
  get detail(): string {
    return this.problem.detail;
  }
  get errors(): FieldError[] {
    return this.problem.errors;
  }
}

/** No usable answer came back: the server was unreachable, too slow, or sent something that is not JSON. */
export class TesseraConnectionError extends TesseraError {
  /** True when the client's own `timeoutMs` ran out (not when the caller's signal aborted). */
  readonly timedOut: boolean;

  constructor(message: string, options: { cause?: unknown; timedOut?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = "TesseraConnectionError";
    this.timedOut = options.timedOut ?? false;
  }
}

export function isTesseraApiError(error: unknown): error is TesseraApiError {
  return error instanceof TesseraApiError;
}

/**
 * Reads a problem body, tolerating servers or proxies in front of Tessera that answer with HTML or plain
 * text: the status is always kept, and the code falls back to one derived from it.
 */
export function toProblem(status: number, statusText: string, body: unknown): Problem {
  const b = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const text = typeof body === "string" && body.length > 0 ? body.slice(0, 500) : undefined;
  const errors = Array.isArray(b.errors)
    ? b.errors.filter((e): e is FieldError => typeof e === "object" && e !== null && "pointer" in e)
    : [];
  return {
    type: typeof b.type === "string" ? b.type : "about:blank",
    title: typeof b.title === "string" ? b.title : statusText || `HTTP ${status}`,
    // The response's own status, whatever the body says: a proxy's 503 with some other JSON in it is a 503.
    status,
    detail: typeof b.detail === "string" ? b.detail : (text ?? (statusText || `HTTP ${status}`)),
    code: typeof b.code === "string" ? b.code : fallbackCode(status),
    errors,
  };
}

function fallbackCode(status: number): string {
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 403) return "FORBIDDEN";
  if (status === 404) return "NOT_FOUND";
  if (status === 429) return "RATE_LIMITED";
  if (status === 503) return "UNAVAILABLE";
  return status >= 500 ? "INTERNAL" : `HTTP_${status}`;
}
