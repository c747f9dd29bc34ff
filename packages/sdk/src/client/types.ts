import type { CheckRequest } from "../core/decision";
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

/** What `isEntitledTo` asks about: one of feature, permission or route, and the usual extras. */
export type CheckTarget = (
  | { feature: string; permission?: undefined; route?: undefined }
  | { permission: string; feature?: undefined; route?: undefined }
  | { route: { method: string; path: string }; feature?: undefined; permission?: undefined }
) &
  Pick<ClientCheckRequest, "requestedUsage" | "scopes" | "at">;

export interface LookupResponse {
  plans: string[];
  features: FeatureSummary[];
  permissions: PermissionSummary[];
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
  /** Only this tenant's items: for the lists that take the filter (subscriptions, grants). */
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
  routes: Optional<RouteRule, "id">;
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
