import type { ReasonCode } from "./reasons";
import type { Attributes, FeatureValue } from "./types";

export interface Subject {
  tenantId: string;
  userId?: string | undefined;
  /** Request-time attributes, read by flag targeting rules. */
  attributes?: Attributes | undefined;
}

export interface RouteQuery {
  method: string;
  path: string;
}

/** An action on one entity of the relationship model: `document:1`, `read`. */
export interface EntityQuery {
  type: string;
  id: string;
  action: string;
}

/** One isEntitledTo question. Exactly one of feature, permission, route or entity is set. */
export interface CheckRequest {
  subject: Subject;
  feature?: string | undefined;
  permission?: string | undefined;
  route?: RouteQuery | undefined;
  entity?: EntityQuery | undefined;
  /** Compared with a limit feature's limit. */
  requestedUsage?: number | undefined;
  /** Scopes the caller's credential carries; routes that require scopes are checked against them. */
  scopes?: string[] | undefined;
  /** Evaluation time in ms since the epoch; defaults to now. */
  at?: number | undefined;
}

export type SourceType = "plan" | "addon" | "grant" | "flag" | "role" | "route" | "relation" | "license";

/** Often shared by many decisions, and then frozen: read it, never change it. */
export interface DecisionSource {
  type: SourceType;
  /** The plan or flag key, the grant id, the role key… whatever decided. */
  key: string;
}

/** Often shared by many decisions, and then frozen: read it, never change it. */
export interface Remediation {
  /** Plans that would grant the missing feature. */
  plans?: readonly string[];
  /** Roles that carry the missing permission. */
  roles?: readonly string[];
  /** Scopes the credential lacks. */
  scopes?: readonly string[];
}

export interface Decision {
  entitled: boolean;
  reason: ReasonCode;
  message: string;
  source?: DecisionSource | undefined;
  /** The feature's value: the limit for `limit` features (null = unlimited), the JSON for `config`. */
  value?: FeatureValue | undefined;
  limit?: number | null | undefined;
  remediation?: Remediation | undefined;
  /** When this answer may change by itself (a grant expires, a subscription ends), ISO-8601. */
  validUntil?: string | undefined;
  decisionId?: string | undefined;
  revision: number;
}
