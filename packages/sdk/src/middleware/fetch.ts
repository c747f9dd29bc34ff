import type { Decision } from "../core/decision";
import { createGuard, type RequireEntitlementOptions } from "./guard";

export type FetchGuard = (request: Request) => Promise<Response | undefined>;

// A Request is not ours to add fields to, so decisions are kept beside it; the WeakMap lets them go with it.
const decisions = new WeakMap<Request, Decision>();

/** The decision that let this request through, for handlers behind a fetch-style guard. */
export function decisionOf(request: Request): Decision | undefined {
  return decisions.get(request);
}

/**
 * For Hono, itty-router, workers and anything with Web Requests: resolves to a Response to send back when
 * the request is refused, and to `undefined` when it may go on.
 *
 *   app.use("/reports/*", async (c, next) => (await guard(c.req.raw)) ?? next());
 */
export function requireEntitlement(options: RequireEntitlementOptions<Request>): FetchGuard {
  const guard = createGuard(options);
  return async (request) => {
    const outcome = await guard(request, { method: request.method, path: new URL(request.url).pathname });
    if (outcome.allow) {
      decisions.set(request, outcome.decision);
      return undefined;
    }
    return new Response(JSON.stringify(outcome.body), {
      status: outcome.status,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    });
  };
}
