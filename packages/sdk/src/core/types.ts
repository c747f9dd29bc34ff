/**
 * The state of one environment as the evaluator sees it. These are also the shapes the management API
 * reads and writes, so the server and the SDK share one vocabulary. Times are ISO-8601 strings on the wire
 * and milliseconds since the epoch once compiled.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type Attributes = Record<string, JsonValue>;

export type FeatureType = "boolean" | "limit" | "config";
export type ResetPeriod = "hour" | "day" | "week" | "month" | "year";

export interface Feature {
  key: string;
  name: string;
  description?: string | undefined;
  type: FeatureType;
  /** Only for `limit` features: the period after which usage starts again. */
  resetPeriod?: ResetPeriod | null | undefined;
  /** A flag that gates this feature: when it evaluates off, the feature is denied (kill switch). */
  flagKey?: string | null | undefined;
  archived?: boolean | undefined;
}

/**
 * The value a plan or grant gives a feature: `true`/`false` for boolean features, a number or `null`
 * (unlimited) for limits, any JSON for config features.
 */
export type FeatureValue = JsonValue;

export interface Permission {
  key: string;
  name?: string | undefined;
  description?: string | undefined;
  /** A permission linked to a feature also needs the tenant to be entitled to that feature. */
  featureKey?: string | null | undefined;
}

export interface Role {
  key: string;
  name?: string | undefined;
  description?: string | undefined;
  permissions: string[];
  /** Other roles whose permissions this one includes. */
  includes?: string[] | undefined;
  scopes?: string[] | undefined;
}

/**
 * Access to one API (a name and a major version) that a plan or grant confers: named scopes, the scopes of
 * roles (bundles of scopes), or every scope the API declares.
 */
export interface ApiAccess {
  /** The API's key, `name@major`: entitlements belong to one major version. */
  api: string;
  scopes?: string[] | undefined;
  roles?: string[] | undefined;
  all?: boolean | undefined;
}

export interface Plan {
  key: string;
  name: string;
  description?: string | undefined;
  /** `base` plans stand alone; `addon` plans stack on a base plan. */
  kind: "base" | "addon";
  trialDays?: number | null | undefined;
  features: Record<string, FeatureValue>;
  apiAccess?: ApiAccess[] | undefined;
  archived?: boolean | undefined;
}

/** One operation of an API, as an enforcement point needs it. */
export interface ApiOperationRule {
  /** Stable: the operationId, else `METHOD /path`. */
  name: string;
  method: string;
  /** The document's path template, without the API's base path. */
  path: string;
  /** OR of ANDs: a caller passes with every scope of any one list. Empty: public. */
  alternatives: string[][];
}

/** An API described by an OpenAPI document, one major version of it. */
export interface Api {
  /** `name@major`, e.g. `payments@1`. */
  key: string;
  name: string;
  majorVersion: number;
  title?: string | undefined;
  version?: string | undefined;
  /** Prefix of every operation's path on the wire, e.g. `/v1`. */
  basePath?: string | undefined;
  /** The `aud` of tokens for this API; defaults to the key. */
  audience?: string | undefined;
  scopes: { name: string; description?: string | undefined }[];
  operations: ApiOperationRule[];
}

export interface Tenant {
  id: string;
  name?: string | undefined;
  attributes?: Attributes | undefined;
}

export interface User {
  id: string;
  email?: string | undefined;
  name?: string | undefined;
  attributes?: Attributes | undefined;
}

/** A user's place in a tenant: the roles they hold there. */
export interface Membership {
  tenantId: string;
  userId: string;
  roles: string[];
}

export type SubscriptionStatus = "trialing" | "active" | "past_due" | "canceled" | "expired";

export interface Subscription {
  id: string;
  tenantId: string;
  planKey: string;
  addOns?: string[] | undefined;
  status: SubscriptionStatus;
  startAt: string;
  endAt?: string | null | undefined;
  trialEndAt?: string | null | undefined;
  /** An id from elsewhere, say a billing system's subscription id. */
  externalKey?: string | null | undefined;
}

export interface Grant {
  id: string;
  tenantId: string;
  /** Present for a grant to one user of the tenant; absent for the whole tenant. */
  userId?: string | null | undefined;
  featureKey?: string | null | undefined;
  value?: FeatureValue | undefined;
  permissionKey?: string | null | undefined;
  /** For a grant of API access: the API and what of it. */
  apiAccess?: ApiAccess | null | undefined;
  startAt?: string | null | undefined;
  expiresAt?: string | null | undefined;
  note?: string | undefined;
}

export type FlagOperator =
  | "eq"
  | "neq"
  | "in"
  | "not_in"
  | "contains"
  | "starts_with"
  | "ends_with"
  | "gt"
  | "gte"
  | "lt"
  | "lte"
  | "exists"
  | "not_exists";

/**
 * `attribute` names what is compared: `tenant.id`, `tenant.plan` (any of the tenant's active plans),
 * `tenant.<attr>`, `user.id`, `user.<attr>`, or a bare name taken from the request's attributes.
 */
export interface FlagCondition {
  attribute: string;
  operator: FlagOperator;
  values?: JsonValue[] | undefined;
}

export interface FlagRule {
  /** All conditions must hold (AND); rules are tried in order and the first that matches decides. */
  conditions: FlagCondition[];
  /** Serve `on` to this percentage (0–100) of the matching subjects, by a stable hash. Default 100. */
  rollout?: number | undefined;
  serve?: boolean | undefined;
}

export interface Flag {
  key: string;
  name?: string | undefined;
  description?: string | undefined;
  /** Off: the flag serves `false` to everyone, whatever its rules. */
  enabled: boolean;
  rules?: FlagRule[] | undefined;
  /** Percentage (0–100) served `on` when no rule matches, by a stable hash; applies before `default`. */
  rollout?: number | null | undefined;
  default: boolean;
  /** What the rollout hash buckets by. */
  bucketBy?: "tenant" | "user" | null | undefined;
}

export interface RouteRule {
  id: string;
  method: string;
  path: string;
  featureKey?: string | null | undefined;
  permissionKey?: string | null | undefined;
  scopes?: string[] | undefined;
  /** OR of ANDs of scopes (from an OpenAPI document); when set, it is what the route requires. */
  alternatives?: string[][] | undefined;
  /** The API the rule belongs to: its scopes are checked against the tenant's entitlement to that API. */
  api?: string | undefined;
  public?: boolean | undefined;
}

/** Everything an environment holds that decisions read. The server and the SDK compile it the same way. */
export interface EnvironmentState {
  revision: number;
  features: Feature[];
  permissions: Permission[];
  roles: Role[];
  plans: Plan[];
  flags: Flag[];
  routes: RouteRule[];
  /** Absent in states written before APIs existed. */
  apis?: Api[] | undefined;
  tenants: Tenant[];
  users: User[];
  memberships: Membership[];
  subscriptions: Subscription[];
  grants: Grant[];
}
