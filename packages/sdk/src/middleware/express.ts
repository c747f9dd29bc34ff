import type { Decision } from "../core/decision";
import { createGuard, type GuardOutcome, pathOf, type RequireEntitlementOptions } from "./guard";

/** The little of Express's (and Node's) request the guard reads; `tessera` is where it leaves the decision. */
export interface ExpressLikeRequest {
  method?: string | undefined;
  url?: string | undefined;
  /** Express keeps the full path here when a router is mounted under a prefix; `url` is then relative. */
  originalUrl?: string | undefined;
  tessera?: Decision | undefined;
}

/** Node's ServerResponse API, which Express's response extends: so the guard works on plain `node:http` too. */
export interface ExpressLikeResponse {
  statusCode: number;
  headersSent?: boolean | undefined;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

export type NextFunction = (error?: unknown) => void;

export type ExpressMiddleware<Req extends ExpressLikeRequest = ExpressLikeRequest> = (
  req: Req,
  res: ExpressLikeResponse,
  next: NextFunction,
) => Promise<void>;

/**
 * Express/Connect middleware: `app.get("/reports", requireEntitlement({ client, feature: "reports", subject }), handler)`.
 * On success the decision is at `req.tessera`.
 */
export function requireEntitlement<Req extends ExpressLikeRequest = ExpressLikeRequest>(
  options: RequireEntitlementOptions<Req>,
): ExpressMiddleware<Req> {
  const guard = createGuard(options);
  return async (req, res, next) => {
    let outcome: GuardOutcome;
    try {
      outcome = await guard(req, {
        method: req.method ?? "GET",
        path: pathOf(req.originalUrl ?? req.url ?? "/"),
      });
    } catch (error) {
      // Express 4 ignores a rejected promise; this hands it to the app's error handler instead of hanging.
      next(error);
      return;
    }
    // next() is called outside the try above, so an error thrown downstream is never turned into a 503.
    if (outcome.allow) {
      req.tessera = outcome.decision;
      next();
      return;
    }
    if (res.headersSent) return;
    res.statusCode = outcome.status;
    res.setHeader("content-type", "application/json; charset=utf-8");
    res.setHeader("cache-control", "no-store");
    res.end(JSON.stringify(outcome.body));
  };
}
