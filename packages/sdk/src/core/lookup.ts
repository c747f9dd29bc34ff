import type { Decision, DecisionSource, Subject } from "./decision";
import { effectiveWindow } from "./effective";
import { evaluate } from "./evaluate";
import type { ReasonCode } from "./reasons";
import type { Snapshot } from "./snapshot";
import type { FeatureType, FeatureValue } from "./types";

export interface FeatureSummary {
  key: string;
  type: FeatureType;
  entitled: boolean;
  reason: ReasonCode;
  source?: DecisionSource | undefined;
  value?: FeatureValue | undefined;
}

export interface PermissionSummary {
  key: string;
  entitled: boolean;
  reason: ReasonCode;
  source?: DecisionSource | undefined;
}

export interface SubjectEntitlements {
  /** Denied when the subject itself is unknown; the lists are then empty. */
  subject: Decision | undefined;
  plans: string[];
  features: FeatureSummary[];
  permissions: PermissionSummary[];
  /** When this answer may change by itself (a grant expires, a subscription starts or ends), in ms. */
  validUntil: number | undefined;
  revision: number;
}

/**
 * Everything a subject has, for UIs that hide what a plan lacks. Each entry is the decision `evaluate` gives
 * for it, so the list can never disagree with a single check.
 */
export function lookupEntitlements(snapshot: Snapshot, subject: Subject, time?: number): SubjectEntitlements {
  // Without a time of the caller's, the answer is about now: a reading of the clock (see effectiveWindow).
  const live = time === undefined;
  const at = time ?? Date.now();
  const entry = snapshot.tenants.get(subject.tenantId);
  const probe = evaluate(snapshot, { subject, feature: "", at });
  if (!entry || probe.reason !== "FEATURE_NOT_FOUND") {
    return {
      subject: probe,
      plans: [],
      features: [],
      permissions: [],
      validUntil: undefined,
      revision: snapshot.revision,
    };
  }
  const { effective, until } = effectiveWindow(snapshot.catalog, entry, at, live);
  const features: FeatureSummary[] = [];
  for (const feature of snapshot.catalog.features.values()) {
    if (feature.archived) continue;
    const d = evaluate(snapshot, { subject, feature: feature.key, at });
    features.push({
      key: feature.key,
      type: feature.type,
      entitled: d.entitled,
      reason: d.reason,
      source: d.source,
      value: d.value,
    });
  }
  const permissions: PermissionSummary[] = [];
  if (subject.userId !== undefined) {
    for (const permission of snapshot.catalog.permissions.values()) {
      const d = evaluate(snapshot, { subject, permission: permission.key, at });
      if (d.reason === "PERMISSION_MISSING") continue;
      permissions.push({ key: permission.key, entitled: d.entitled, reason: d.reason, source: d.source });
    }
  }
  let validUntil = Number.isFinite(until) ? until : undefined;
  for (const g of subject.userId ? (entry.userGrants.get(subject.userId) ?? []) : []) {
    for (const t of [g.start, g.end])
      if (t !== undefined && t > at && (validUntil === undefined || t < validUntil)) validUntil = t;
  }
  return {
    subject: undefined,
    plans: [...effective.plans],
    features,
    permissions,
    validUntil,
    revision: snapshot.revision,
  };
}
