/**
 * Storage of API consumers' credentials: applications and their client secrets, API keys, the OAuth2
 * signing keys and revoked access tokens. Secrets are never stored, only their SHA-256 hashes. Every
 * backend passes credential-store.conformance.ts.
 */

export interface ApplicationRecord {
  /** `app_…`: also the OAuth2 client_id, unique across environments. */
  id: string;
  environmentId: string;
  tenantId: string;
  name: string;
  /** The API (`name@major`) a token request without `resource` or `audience` is for. */
  defaultApi: string | null;
  tokenTtlSeconds: number | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  revokedAt: string | null;
}

export interface ClientSecretRecord {
  id: string;
  applicationId: string;
  /** SHA-256 of the secret, hex. */
  secretHash: string;
  /** The prefix and the last four characters. */
  display: string;
  createdAt: string;
  /** Null: valid until rotated. Set by a rotation to the end of its grace period. */
  expiresAt: string | null;
}

export interface TimeWindow {
  /** 0 = Sunday … 6 = Saturday; absent: every day. */
  days?: number[] | undefined;
  /** "HH:MM", inclusive. */
  start: string;
  /** "HH:MM", exclusive; before `start`: the window runs past midnight. */
  end: string;
  /** "UTC" or an IANA zone; absent: UTC. */
  timezone?: string | undefined;
}

export interface ApiKeyRecord {
  /** `key_…` */
  id: string;
  environmentId: string;
  applicationId: string;
  tenantId: string;
  name: string | null;
  /** The API (`name@major`) the key opens. */
  api: string;
  keyHash: string;
  display: string;
  /** A narrowing of the entitled scopes; null: every entitled scope. */
  scopes: string[] | null;
  /** CIDRs (IPv4 or IPv6); null: any address. */
  ipAllowList: string[] | null;
  timeWindow: TimeWindow | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** The key a rotation replaced this one with. */
  replacedBy: string | null;
}

export type SigningKeyStatus = "active" | "retiring" | "retired";

export interface SigningKeyRecord {
  kid: string;
  publicJwk: Record<string, unknown>;
  /** Null once retired. */
  privateJwk: Record<string, unknown> | null;
  status: SigningKeyStatus;
  createdAt: string;
  /** When the key stopped signing (a rotation); null while it is active. */
  retiredAt: string | null;
}

export interface CredentialPage {
  after?: string | undefined;
  /** 1–1000. */
  limit: number;
}

export type ApplicationPatch = Partial<
  Pick<ApplicationRecord, "name" | "defaultApi" | "tokenTtlSeconds" | "metadata">
>;
export type ApiKeyPatch = Partial<
  Pick<ApiKeyRecord, "name" | "scopes" | "ipAllowList" | "timeWindow" | "metadata" | "expiresAt">
>;

export interface CredentialStore {
  /**
   * Creates an application with its first client secret, in one transaction. Throws
   * StoreConflict("DUPLICATE_KEY") if the id or the secret's hash is taken, StoreConflict("NOT_FOUND") if
   * the environment does not exist.
   */
  createApplication(
    app: Omit<ApplicationRecord, "createdAt" | "updatedAt" | "revokedAt">,
    secret: Omit<ClientSecretRecord, "createdAt" | "applicationId">,
  ): Promise<ApplicationRecord>;
  /** In one environment; undefined if absent (revoked ones included). */
  getApplication(environmentId: string, id: string): Promise<ApplicationRecord | undefined>;
  /** Applications of one environment, ascending by id, optionally of one tenant; revoked ones included. */
  listApplications(
    environmentId: string,
    page: CredentialPage & { tenantId?: string | undefined },
  ): Promise<ApplicationRecord[]>;
  /** Every application of every environment: the verification index's source. */
  listAllApplications(): Promise<ApplicationRecord[]>;
  /** Applies the patch (keys absent are kept) and bumps updatedAt; undefined if there is no such application. */
  updateApplication(
    environmentId: string,
    id: string,
    patch: ApplicationPatch,
  ): Promise<ApplicationRecord | undefined>;
  /**
   * Marks the application revoked (idempotent: a second revoke keeps the first time) and revokes its API
   * keys that are not revoked yet, in one transaction. Undefined if there is no such application.
   */
  revokeApplication(environmentId: string, id: string): Promise<ApplicationRecord | undefined>;

  /** Secrets of every application, oldest first, expired ones included. */
  listClientSecrets(applicationId?: string): Promise<ClientSecretRecord[]>;
  /**
   * Adds a secret and, in the same transaction, sets the expiry of every other secret of the application
   * to `othersExpireAt` if it had none or a later one. Throws StoreConflict("NOT_FOUND") if there is no
   * such application, ("DUPLICATE_KEY") if the hash is taken.
   */
  rotateClientSecret(
    applicationId: string,
    secret: Omit<ClientSecretRecord, "createdAt" | "applicationId" | "expiresAt">,
    othersExpireAt: Date,
  ): Promise<ClientSecretRecord>;

  /** Throws StoreConflict("DUPLICATE_KEY") if the id or hash is taken. */
  createApiKey(
    key: Omit<ApiKeyRecord, "createdAt" | "updatedAt" | "revokedAt" | "lastUsedAt" | "replacedBy">,
  ): Promise<ApiKeyRecord>;
  getApiKey(environmentId: string, id: string): Promise<ApiKeyRecord | undefined>;
  /** Keys of one application, ascending by id, revoked ones included. */
  listApiKeys(environmentId: string, applicationId: string, page: CredentialPage): Promise<ApiKeyRecord[]>;
  /** Every key of every environment: the verification index's source. */
  listAllApiKeys(): Promise<ApiKeyRecord[]>;
  /** Applies the patch (keys absent are kept), bumps updatedAt; undefined if there is no such key. */
  updateApiKey(environmentId: string, id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | undefined>;
  /** Idempotent: a second revoke keeps the first time. Undefined if there is no such key. */
  revokeApiKey(environmentId: string, id: string): Promise<ApiKeyRecord | undefined>;
  /**
   * In one transaction: creates `next`, and sets the old key's `replacedBy` and its expiry to
   * `oldExpiresAt` (or keeps an earlier one). Throws StoreConflict("NOT_FOUND") if the old key does not
   * exist or is revoked.
   */
  rotateApiKey(
    environmentId: string,
    id: string,
    next: Omit<ApiKeyRecord, "createdAt" | "updatedAt" | "revokedAt" | "lastUsedAt" | "replacedBy">,
    oldExpiresAt: Date,
  ): Promise<{ old: ApiKeyRecord; next: ApiKeyRecord }>;
  /** Records last use; a later time never goes back. Unknown ids are ignored. */
  touchApiKeys(uses: { id: string; at: Date }[]): Promise<void>;

  /** Every signing key, oldest first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Makes `key` the one active key: the current active key (if any) becomes `retiring` with
   * `retiredAt = at`, in one transaction. With `onlyIfNone`, inserts only if no key is active and returns
   * false otherwise (two servers starting at once create one key between them).
   */
  addSigningKey(
    key: Pick<SigningKeyRecord, "kid" | "publicJwk" | "privateJwk">,
    at: Date,
    onlyIfNone?: boolean,
  ): Promise<boolean>;
  /** `retiring` keys that stopped signing before `before` become `retired` and lose their private key. */
  retireSigningKeys(before: Date): Promise<number>;

  /** Idempotent: a second revoke of the same jti changes nothing. */
  revokeAccessToken(jti: string, applicationId: string, expiresAt: Date): Promise<void>;
  isAccessTokenRevoked(jti: string): Promise<boolean>;
  /** Forgets revocations of tokens that have expired before `before`; returns how many. */
  purgeRevokedAccessTokens(before: Date): Promise<number>;
}
