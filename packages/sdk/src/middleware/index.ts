export * from "../access";
export {
  type BearerExpressMiddleware,
  type BearerExpressRequest,
  requireAccess as requireAccessExpress,
} from "./bearer-express";
export {
  type BearerFastifyHook,
  type BearerFastifyRequest,
  requireAccess as requireAccessFastify,
} from "./bearer-fastify";
export { accessOf, type BearerFetchGuard, requireAccess as requireAccessFetch } from "./bearer-fetch";
export {
  type AccessDeniedBody,
  type AccessGrant,
  type AccessGuardSource,
  type AccessRefusal,
  accessGuardOf,
  grantOf,
  refusalOf,
} from "./bearer-guard";
export {
  type ExpressLikeRequest,
  type ExpressLikeResponse,
  type ExpressMiddleware,
  type NextFunction,
  requireEntitlement as requireEntitlementExpress,
} from "./express";
export {
  type FastifyLikeReply,
  type FastifyLikeRequest,
  type FastifyPreHandler,
  requireEntitlement as requireEntitlementFastify,
} from "./fastify";
export { decisionOf, type FetchGuard, requireEntitlement as requireEntitlementFetch } from "./fetch";
export {
  type CheckerLike,
  createGuard,
  DENIED_MESSAGE,
  type DeniedBody,
  type Evaluate,
  type GuardOutcome,
  type GuardRequestInfo,
  type RequireEntitlementOptions,
} from "./guard";
