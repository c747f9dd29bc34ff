import { type AccessGrant, type AccessGuardSource, accessGuardOf, grantOf, refusalOf } from "./bearer-guard";
import type { ExpressLikeResponse, NextFunction } from "./express";

/** The little of an Express (or `node:http`) request the bearer guard reads; the grant lands on `tesseraAccess`. */
export interface BearerExpressRequest {
  method?: string | undefined;
  url?: string | undefined;
  originalUrl?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  ip?: string | undefined;
  socket?: { remoteAddress?: string | undefined } | undefined;
  tesseraAccess?: AccessGrant | undefined;
}

export type BearerExpressMiddleware<Req extends BearerExpressRequest = BearerExpressRequest> = (
  req: Req,
  res: ExpressLikeResponse,
  next: NextFunction,
) => Promise<void>;

/**
 * Express/Connect middleware enforcing an API's scopes on OAuth2 access tokens (and Tessera API keys when
 * configured), with no call to Tessera per request: `app.use(requireAccess({ api, issuer }))`. It checks
 * the whole API, so mount it before the routes; the caller's claims are at `req.tesseraAccess`.
 */
export function requireAccess<Req extends BearerExpressRequest = BearerExpressRequest>(
  source: AccessGuardSource,
): BearerExpressMiddleware<Req> {
  const guard = accessGuardOf(source);
  return async (req, res, next) => {
    let outcome: Awaited<ReturnType<typeof guard>>;
    try {
      outcome = await guard(req.method ?? "GET", req.originalUrl ?? req.url ?? "/", req.headers, {
        ip: req.ip ?? req.socket?.remoteAddress,
      });
    } catch (error) {
      // Express 4 ignores a rejected promise; the app's error handler answers instead (and nothing passes).
      next(error);
      return;
    }
    if (outcome.allowed) {
      req.tesseraAccess = grantOf(outcome);
      next();
      return;
    }
    if (res.headersSent) return;
    const refusal = refusalOf(outcome);
    res.statusCode = refusal.status;
    for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
    res.end(JSON.stringify(refusal.body));
  };
}
