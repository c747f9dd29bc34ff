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
