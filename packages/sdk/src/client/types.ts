import type { CheckRequest, Decision, EntityQuery } from "../core/decision";
import type { FeatureSummary, PermissionSummary } from "../core/lookup";
import type {
  Feature,
  Flag,
  Grant,
  Membership,
  Permission,
  Plan,
  Role,
  RouteRule,
  Subscription,
  Tenant,
  User,
} from "../core/types";

/** A time as callers hold it; sent as ISO-8601. Numbers are ms since the epoch, as the core uses. */
export type TimeInput = Date | string | number;

/** A check as the client takes it: the core's request, with `at` in any usual form. */
export type ClientCheckRequest = Omit<CheckRequest, "at"> & { at?: TimeInput | undefined };

/**
 * A decision as /v1/check and /v1/check/batch send it. The server writes its Decision schema, which has no
 * `validUntil` (only a lookup says when its answer changes), so the client does not promise one, and always
 * has a `decisionId` (the core's evaluator leaves it to whoever records the decision), so the client does.
 */
export type CheckDecision = Omit<Decision, "validUntil" | "decisionId"> & { decisionId: string };

/**
 * What `isEntitledTo` asks about: one of feature, permission, route or entity (an action on an entity of the
 * relationship model, as `check` takes), and the usual extras.
 */
export type CheckTarget = (
  | { feature: string; permission?: undefined; route?: undefined; entity?: undefined }
  | { permission: string; feature?: undefined; route?: undefined; entity?: undefined }
  | {
      route: { method: string; path: string };
      feature?: undefined;
      permission?: undefined;
      entity?: undefined;
    }
  | { entity: EntityQuery; feature?: undefined; permission?: undefined; route?: undefined }
) &
  Pick<ClientCheckRequest, "requestedUsage" | "scopes" | "at">;

export interface LookupResponse {
  /**
   * The subject's own decision, a denial (TENANT_NOT_FOUND, USER_NOT_FOUND, USER_NOT_IN_TENANT), sent only
   * when the subject is unknown; the lists are then empty. Absent for a known subject.
   */
  subject?: CheckDecision | undefined;
  plans: string[];
  features: FeatureSummary[];
  permissions: PermissionSummary[];
  /** When this answer may change by itself (a grant expires, a subscription starts or ends), ISO-8601. */
  validUntil?: string | undefined;
  revision: number;
}

/** Every stored resource carries these, set by the server. */
export interface Timestamps {
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  /** Absent on the last page. */
  nextCursor?: string | undefined;
}

export interface PageOptions {
  cursor?: string | undefined;
  limit?: number | undefined;
}

/**
 * Paging, and the tenant filter, for the lists the server filters by tenant (subscriptions and grants). The
 * other lists do not take `tenantId`: the server refuses query parameters a list does not know (400).
 */
export interface TenantPageOptions extends PageOptions {
  /** Only this tenant's items. */
  tenantId?: string | undefined;
}

type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** What each resource's create accepts: fields the server defaults or assigns are optional. */
export interface CreateInputs {
  features: Feature;
  permissions: Permission;
  roles: Optional<Role, "permissions">;
  plans: Optional<Plan, "kind" | "features">;
  flags: Optional<Flag, "enabled" | "default">;
  // `alternatives` and `api` are set only by an OpenAPI import; POST /v1/routes refuses them (400).
  routes: Optional<Omit<RouteRule, "alternatives" | "api">, "id">;
  tenants: Tenant;
  users: User;
  subscriptions: Optional<Subscription, "id" | "status" | "startAt">;
  grants: Optional<Grant, "id">;
}

export interface Items {
  features: Feature;
  permissions: Permission;
  roles: Role;
  plans: Plan;
  flags: Flag;
  routes: RouteRule;
  tenants: Tenant;
  users: User;
  subscriptions: Subscription;
  grants: Grant;
}

export type ResourceName = keyof Items;

/** What each resource's list takes: only subscriptions and grants filter by tenant. */
export type ListOptions = {
  [R in ResourceName]: R extends "subscriptions" | "grants" ? TenantPageOptions : PageOptions;
};

export type MemberItem = Membership & Partial<Timestamps>;

/** One write in the change feed. The server's record carries more; these are the fields clients use. */
export interface ChangeEntry {
  revision: number;
  seq?: number | undefined;
  kind: string;
  resourceId: string;
  action: "create" | "update" | "delete";
  actor?: string | undefined;
  before?: unknown;
  after?: unknown;
  at: string;
}

export interface ChangesOptions {
  afterRevision?: number | undefined;
  limit?: number | undefined;
  /** Only changes to this kind of thing (`plan`, `token`, …). */
  kind?: string | undefined;
  /** Only changes to this one (a plan's key, a membership's `tenantId/userId`, …). */
  resourceId?: string | undefined;
}

/** A page of the change feed; `items` is in revision order. */
export interface ChangesPage {
  items: ChangeEntry[];
  /** Pass as `afterRevision` to read on; absent on the last page. Pages end on whole revisions. */
  nextAfterRevision?: number | undefined;
}
