import { randomBytes } from "node:crypto";
import type { CompiledApi } from "@tessera/sdk/core";
import { SignJWT } from "jose";
import type { Store } from "../../storage/store";
import {
  type ApplicationService,
  DEFAULT_TOKEN_TTL_SECONDS,
  MAX_TOKEN_TTL_SECONDS,
} from "../credentials/applications";
import { every, type Periodic } from "../every";
import type { SnapshotRegistry } from "../snapshots";
import { OAuthError } from "./oauth-error";
import { SIGNING_ALG, type SigningKeyService } from "./signing-keys";
import { type AccessTokenClaims, type TokenVerification, verifyAccessToken } from "./verify-token";

export interface TokenRequest {
  grantType: string | undefined;
  scope?: string | undefined;
  resource?: string | undefined;
  audience?: string | undefined;
}

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
}

/** Who asks to introspect: an application (its own tokens) or a Tessera token (its environment's). */
export type Introspector = { applicationId: string } | { environmentId: string };

export type Introspection = { active: false } | ({ active: true; token_type: "Bearer" } & AccessTokenClaims);

/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const PURGE_MS = 60_000;

/**
 * The authorization server: client_credentials tokens (RFC 9068 JWTs), introspection (RFC 7662) and
 * revocation (RFC 7009). A token's scope is what was asked ∩ what the tenant is entitled to now ∩ what the
 * API declares, so a downgrade or a revoked application stops the next token at once.
 */
export class OAuthService {
  private readonly environmentKeys = new Map<string, string>();
  private purger: Periodic | undefined;

  constructor(
    private readonly store: Store,
    private readonly snapshots: SnapshotRegistry,
    private readonly applications: ApplicationService,
    readonly signingKeys: SigningKeyService,
    readonly issuer: string,
  ) {}

  start(): void {
    this.purger = every(PURGE_MS, "purge of expired token revocations", () =>
      this.store.credentials.purgeRevokedAccessTokens(new Date()),
    );
  }

  stop(): void {
    this.purger?.stop();
  }

  /**
   * Rotates the signing keys (signing-keys.ts), recorded in `environmentId`'s changes by `actor`, and moves
   * that environment's snapshot to the rotation's revision, as after a catalog write.
   */
  async rotateSigningKey(
    environmentId: string,
    actor: string,
  ): Promise<{ kid: string; previous: string | undefined }> {
    const result = await this.signingKeys.rotate(environmentId, actor);
    await this.snapshots.applyWrite(environmentId, result.revision, result.changes);
    return result.value;
  }

  /** RFC 8414 authorization-server metadata. */
  metadata() {
    return {
      issuer: this.issuer,
      token_endpoint: `${this.issuer}/oauth/token`,
      jwks_uri: `${this.issuer}/.well-known/jwks.json`,
      revocation_endpoint: `${this.issuer}/oauth/revoke`,
      introspection_endpoint: `${this.issuer}/oauth/introspect`,
      grant_types_supported: ["client_credentials"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      response_types_supported: [],
    };
  }

  /** Authenticates a client or throws invalid_client; revoked and unknown clients look the same. */
  authenticateClient(clientId: string, secret: string): { applicationId: string } {
    const result = this.applications.authenticate(clientId, secret);
    if (!result.valid) throw new OAuthError("invalid_client", "Client authentication failed.");
    return { applicationId: result.application.id };
  }

  async issueToken(clientId: string, secret: string, request: TokenRequest): Promise<TokenResponse> {
    // The client first: who has not authenticated learns nothing about the request (RFC 6749 §5.2 leaves
    // the order open; a wrong secret is invalid_client whatever else the request says).
    const auth = this.applications.authenticate(clientId, secret);
    if (!auth.valid) throw new OAuthError("invalid_client", "Client authentication failed.");
    if (request.grantType === undefined) throw new OAuthError("invalid_request", "grant_type is required.");
    if (request.grantType !== "client_credentials") {
      throw new OAuthError("unsupported_grant_type", "Only the client_credentials grant is supported.");
    }
    const app = auth.application;
    const snapshot =
      this.snapshots.current(app.environmentId) ?? (await this.snapshots.get(app.environmentId));

    if (request.resource && request.audience && request.resource !== request.audience) {
      throw new OAuthError("invalid_request", "resource and audience name different APIs; give one.");
    }
    const target = request.resource || request.audience || app.defaultApi;
    if (!target) {
      throw new OAuthError(
        "invalid_request",
        "Name the API: resource or audience (its name@major or audience); the application has no default.",
      );
    }
    const compiled = findApi(snapshot.catalog.apis, target);
    if (!compiled) throw new OAuthError("invalid_target", `No API "${target}" exists.`);
    const api = compiled.api;
    if (!snapshot.tenants.has(app.tenantId)) {
      throw new OAuthError("unauthorized_client", "The application's tenant no longer exists.");
    }

    const entitled = snapshot.entitledScopes(app.tenantId, api.key);
    let scopes: string[];
    if (request.scope !== undefined && request.scope.trim() !== "") {
      const requested = [...new Set(request.scope.split(" ").filter((s) => s !== ""))];
      const malformed = requested.filter((s) => !SCOPE_TOKEN.test(s));
      if (malformed.length > 0) throw new OAuthError("invalid_scope", "The scope parameter is malformed.");
      const allowed = new Set(entitled);
      const outside = requested.filter((s) => !allowed.has(s));
      if (outside.length > 0) {
        throw new OAuthError(
          "invalid_scope",
          `Not entitled to ${outside.map((s) => `"${s}"`).join(", ")} of "${api.key}".`,
        );
      }
      scopes = requested.sort();
    } else {
      scopes = entitled;
    }
    if (scopes.length === 0) {
      throw new OAuthError("invalid_scope", `The tenant is entitled to no scope of "${api.key}".`);
    }

    const ttl = Math.min(app.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS);
    const iat = Math.floor(Date.now() / 1000);
    const signer = await this.signingKeys.currentSigner();
    const accessToken = await new SignJWT({
      client_id: app.id,
      scope: scopes.join(" "),
      tenant_id: app.tenantId,
      application_id: app.id,
      env: await this.environmentKey(app.environmentId),
    })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: signer.kid, typ: "at+jwt" })
      .setIssuer(this.issuer)
      .setSubject(app.id)
      .setAudience(api.audience ?? api.key)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(randomBytes(16).toString("base64url"))
      .sign(signer.key);
    return { access_token: accessToken, token_type: "Bearer", expires_in: ttl, scope: scopes.join(" ") };
  }

  /** Verifies a token against this issuer and its current JWKS. */
  verify(token: string, options: { audience?: string; at?: Date } = {}): Promise<TokenVerification> {
    return verifyAccessToken(token, {
      issuer: this.issuer,
      jwks: this.signingKeys.jwks(options.at),
      audience: options.audience,
      at: options.at,
    });
  }

  /** RFC 7662: inactive for anything invalid, expired, revoked, of a revoked application, or not the caller's. */
  async introspect(token: string, caller: Introspector): Promise<Introspection> {
    const result = await this.verify(token);
    if (!result.valid) return { active: false };
    const { claims } = result;
    const app = this.applications.cached(claims.client_id);
    if (!app || app.revokedAt !== null) return { active: false };
    if (
      "applicationId" in caller ? caller.applicationId !== app.id : caller.environmentId !== app.environmentId
    ) {
      return { active: false };
    }
    if (await this.store.credentials.isAccessTokenRevoked(claims.jti)) return { active: false };
    return { ...claims, active: true, token_type: "Bearer" };
  }

  /** RFC 7009: revokes the caller's own live token; anything else changes nothing and is not an error. */
  async revoke(token: string, caller: { applicationId: string }): Promise<void> {
    const result = await this.verify(token);
    if (!result.valid || result.claims.client_id !== caller.applicationId) return;
    await this.store.credentials.revokeAccessToken(
      result.claims.jti,
      caller.applicationId,
      new Date(result.claims.exp * 1000),
    );
  }

  private async environmentKey(environmentId: string): Promise<string> {
    let key = this.environmentKeys.get(environmentId);
    if (key === undefined) {
      key = (await this.store.getEnvironment(environmentId))?.key ?? environmentId;
      this.environmentKeys.set(environmentId, key);
    }
    return key;
  }
}

/** By key (`name@major`) first, then by the audience an API declares. */
function findApi(apis: ReadonlyMap<string, CompiledApi>, target: string): CompiledApi | undefined {
  const byKey = apis.get(target);
  if (byKey) return byKey;
  for (const api of apis.values()) if (api.api.audience === target) return api;
  return undefined;
}
