export {
  ApiKeyVerifier,
  type ApiKeyVerifierOptions,
  type KeyVerification,
  looksLikeApiKey,
} from "./api-keys";
export { ExpiringCache } from "./cache";
export {
  type AccessError,
  type AccessGuard,
  type AccessGuardOptions,
  type AccessOutcome,
  type AccessReason,
  type AccessRequestContext,
  createAccessGuard,
  type HeadersLike,
} from "./guard";
export {
  importKeySet,
  type JsonWebKeySet,
  type Jwk,
  type KeySource,
  LocalJwks,
  RemoteJwks,
  type RemoteJwksOptions,
} from "./jwks";
export {
  type AccessTokenClaims,
  type JwtErrorCode,
  type JwtHeader,
  type JwtResult,
  scopesOf,
  type VerifyJwtOptions,
  verifyJwt,
} from "./jwt";
export {
  AccessLoadError,
  type AccessSource,
  type Discovery,
  discover,
  fetchApi,
  type LoadAccessGuardOptions,
  loadAccessGuard,
} from "./load";
export { compileApiRoutes, findOperation } from "./routes";
export { checkScopes, type ScopeVerdict } from "./scopes";
