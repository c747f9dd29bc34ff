import { type AccessGrant, type AccessGuardSource, accessGuardOf, grantOf, refusalOf } from "./bearer-guard";

export type BearerFetchGuard = (
  request: Request,
  context?: { ip?: string | undefined },
) => Promise<Response | undefined>;

// A Request is not ours to add fields to, so grants are kept beside it; the WeakMap lets them go with it.
const grants = new WeakMap<Request, AccessGrant>();

/** The grant that let this request through, for handlers behind a fetch-style bearer guard. */
export function accessOf(request: Request): AccessGrant | undefined {
  return grants.get(request);
}

/**
 * For Hono, workers and anything with Web Requests: resolves to the refusal Response, or to `undefined`
 * when the request may go on.
 *
 *   app.use("*", async (c, next) => (await guard(c.req.raw)) ?? next());
 */
export function requireAccess(source: AccessGuardSource): BearerFetchGuard {
  const guard = accessGuardOf(source);
  return async (request, context) => {
    const url = new URL(request.url);
    const outcome = await guard(request.method, url.pathname, request.headers, context);
    if (outcome.allowed) {
      grants.set(request, grantOf(outcome));
      return undefined;
    }
    const refusal = refusalOf(outcome);
    return new Response(JSON.stringify(refusal.body), { status: refusal.status, headers: refusal.headers });
  };
}
