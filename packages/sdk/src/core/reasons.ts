/**
 * Stable reason codes of a decision. Codes are never renamed once shipped: clients branch on them.
 * Add new ones at the end of the list.
 */
export const REASON_CODES = [
  "ENTITLED",
  "TENANT_NOT_FOUND",
  "USER_NOT_FOUND",
  "USER_NOT_IN_TENANT",
  "NO_ACTIVE_SUBSCRIPTION",
  "FEATURE_NOT_FOUND",
  "FEATURE_NOT_IN_PLAN",
  "FEATURE_DISABLED",
  "FEATURE_ARCHIVED",
  "PERMISSION_NOT_FOUND",
  "PERMISSION_MISSING",
  "ROUTE_NOT_FOUND",
  "SCOPE_MISSING",
  "USAGE_LIMIT_EXCEEDED",
  "RELATION_MISSING",
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];
