import type { CheckRequest, Decision, Subject } from "../core/decision";

/** Anything that can answer a check: the HTTP client, or an in-process evaluator over a snapshot. */
export type Evaluate = (request: CheckRequest) => Decision | Promise<Decision>;

export interface CheckerLike {
  check(request: CheckRequest): Promise<Decision>;
}

type Source = { client: CheckerLike; evaluate?: undefined } | { evaluate: Evaluate; client?: undefined };

type Target =
  | { feature: string; permission?: undefined; route?: undefined }
  | { permission: string; feature?: undefined; route?: undefined }
  /** Checks the request's own method and path against the routes configured in Tessera. */
  | { route: true; feature?: undefined; permission?: undefined };

export type RequireEntitlementOptions<Req> = Source &
  Target & {
    /** Who is asking; `undefined` means no one is signed in, and the request gets a 401. */
    subject: (req: Req) => Subject | undefined | Promise<Subject | undefined>;
    /** For limit features: how much this request would use. */
    requestedUsage?: number | ((req: Req) => number | undefined) | undefined;
    /** The scopes of the caller's credential, for routes that require them. */
    scopes?: ((req: Req) => string[] | undefined) | undefined;
    /** The 403's message; the default is the one the product guide shows. */
    message?: string | ((decision: Decision) => string) | undefined;
    /** Sees every failure that became a 503 or 500, for logging: the guard itself stays silent. */
    onError?: ((error: unknown, req: Req) => void) | undefined;
  };

export const DENIED_MESSAGE = "Upgrade your plan to access this endpoint.";

export interface DeniedBody {
  error: string;
  message: string;
  reason?: string | undefined;
  decisionId?: string | undefined;
}

export type GuardOutcome =
  | { allow: true; decision: Decision }
  | { allow: false; status: number; body: DeniedBody };

export interface GuardRequestInfo {
  method: string;
  /** The path without the query string. */
  path: string;
}

/**
 * The framework-free heart of every adapter. It denies by default: only a decision with
 * `entitled === true` lets a request through; no subject, a failing check or a malformed answer never does.
 */
export function createGuard<Req>(
  options: RequireEntitlementOptions<Req>,
): (req: Req, info: GuardRequestInfo) => Promise<GuardOutcome> {
  const check = checker(options);
  const target = targetOf(options);
  return async (req, info) => {
    let subject: Subject | undefined;
    let request: CheckRequest;
    try {
      subject = await options.subject(req);
      if (subject === undefined || subject === null) return unauthenticated();
      request = {
        subject,
        ...(target === "route" ? { route: { method: info.method.toUpperCase(), path: info.path } } : target),
        requestedUsage:
          typeof options.requestedUsage === "function" ? options.requestedUsage(req) : options.requestedUsage,
        scopes: options.scopes?.(req),
      };
    } catch (error) {
      // The app's own resolver failed: its bug, not Tessera's, so a 500 rather than a 503.
      options.onError?.(error, req);
      return internalError();
    }
    let decision: Decision;
    try {
      decision = await check(request);
    } catch (error) {
      options.onError?.(error, req);
      // Tessera refused the question itself (a permission asked with no user, a revoked server key): the
      // app's set-up is wrong, and asking again will not help, so a 500, not "try again later".
      return refusedQuestion(error) ? internalError() : unavailable();
    }
    if (typeof decision !== "object" || decision === null || typeof decision.entitled !== "boolean") {
      options.onError?.(new TypeError("the entitlement check returned no decision"), req);
      return unavailable();
    }
    if (decision.entitled === true) return { allow: true, decision };
    const message =
      typeof options.message === "function" ? options.message(decision) : (options.message ?? DENIED_MESSAGE);
    return {
      allow: false,
      status: 403,
      body: { error: "access_denied", message, reason: decision.reason, decisionId: decision.decisionId },
    };
  };
}

function internalError(): GuardOutcome {
  return {
    allow: false,
    status: 500,
    body: { error: "internal_error", message: "The request could not be authorized." },
  };
}

/** An answer with a 4xx status other than a timeout or a rate limit, which a retry may get past. */
function refusedQuestion(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

function checker<Req>(options: RequireEntitlementOptions<Req>): Evaluate {
  // Checked at setup, not per request: a guard with nothing to ask must fail loudly at boot, never let traffic by.
  if (options.client && options.evaluate)
    throw new TypeError("requireEntitlement: pass client or evaluate, not both");
  if (options.client) {
    const client = options.client;
    return (request) => client.check(request);
  }
  if (typeof options.evaluate === "function") return options.evaluate;
  throw new TypeError("requireEntitlement: a client or an evaluate function is required");
}

function targetOf<Req>(
  options: RequireEntitlementOptions<Req>,
): { feature: string } | { permission: string } | "route" {
  const set = [options.feature, options.permission, options.route].filter((t) => t !== undefined);
  if (set.length !== 1)
    throw new TypeError("requireEntitlement: set exactly one of feature, permission or route");
  if (typeof options.subject !== "function")
    throw new TypeError("requireEntitlement: subject must be a function");
  if (options.feature !== undefined) return { feature: options.feature };
  if (options.permission !== undefined) return { permission: options.permission };
  if (options.route !== true) throw new TypeError("requireEntitlement: route must be true");
  return "route";
}

function unauthenticated(): GuardOutcome {
  return {
    allow: false,
    status: 401,
    body: { error: "unauthenticated", message: "Sign in to access this endpoint." },
  };
}

function unavailable(): GuardOutcome {
  return {
    allow: false,
    status: 503,
    body: { error: "entitlements_unavailable", message: "Access could not be checked. Try again later." },
  };
}

/** The path part of a request target such as `/v1/items?limit=5`. */
export function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  return path || "/";
}
