import { matchRoute, type Snapshot } from "@tessera/sdk/core";
import type { ApiKeyRecord, ApplicationRecord } from "../../storage/credential-store";
import { type IpAllowList, inTimeWindow } from "./key-policy";

/** Stable codes: clients branch on them, so none is renamed once shipped. */
export type KeyVerificationCode =
  | "VALID"
  | "NOT_FOUND"
  | "REVOKED"
  | "EXPIRED"
  | "APPLICATION_REVOKED"
  | "TENANT_NOT_FOUND"
  | "IP_NOT_ALLOWED"
  | "OUTSIDE_TIME_WINDOW"
  | "ROUTE_NOT_FOUND"
  | "INSUFFICIENT_SCOPE";

export interface KeyVerificationRequest {
  ip?: string | undefined;
  route?: { method: string; path: string } | undefined;
  /** Every one of them is needed. */
  scopes?: string[] | undefined;
  at?: Date | undefined;
}

export interface KeyVerification {
  valid: boolean;
  code: KeyVerificationCode;
  keyId?: string;
  tenantId?: string;
  applicationId?: string;
  environment?: string;
  api?: string;
  scopes?: string[];
  expiresAt?: string | null;
}

export interface IndexedKey {
  key: ApiKeyRecord;
  allowList: IpAllowList | undefined;
}

/**
 * Checks one key, found by its hash, against the request, in a fixed order: the key itself, its
 * application and tenant, where and when it is used, then what it may do. A denial is a value.
 */
export function verifyKey(
  entry: IndexedKey,
  application: ApplicationRecord | undefined,
  snapshot: Snapshot,
  environmentKey: string,
  request: KeyVerificationRequest,
): KeyVerification {
  const { key } = entry;
  const at = request.at ?? new Date();
  const about = {
    keyId: key.id,
    tenantId: key.tenantId,
    applicationId: key.applicationId,
    environment: environmentKey,
    api: key.api,
    expiresAt: key.expiresAt,
  };
  const deny = (code: KeyVerificationCode, scopes?: string[]): KeyVerification => ({
    valid: false,
    code,
    ...about,
    ...(scopes ? { scopes } : {}),
  });
  if (key.revokedAt !== null) return deny("REVOKED");
  if (key.expiresAt !== null && Date.parse(key.expiresAt) <= at.getTime()) return deny("EXPIRED");
  if (!application || application.revokedAt !== null) return deny("APPLICATION_REVOKED");
  if (!snapshot.tenants.has(key.tenantId)) return deny("TENANT_NOT_FOUND");
  if (entry.allowList && (request.ip === undefined || !entry.allowList.allows(request.ip))) {
    return deny("IP_NOT_ALLOWED");
  }
  if (key.timeWindow && !inTimeWindow(key.timeWindow, at)) return deny("OUTSIDE_TIME_WINDOW");

  const entitled = snapshot.entitledScopes(key.tenantId, key.api, at.getTime(), request.at === undefined);
  const scopes = key.scopes === null ? entitled : entitled.filter((s) => key.scopes!.includes(s));
  const held = new Set(scopes);
  if (request.scopes?.some((s) => !held.has(s))) return deny("INSUFFICIENT_SCOPE", scopes);
  if (request.route) {
    const match = matchRoute(snapshot.catalog.routes, request.route.method, request.route.path);
    if (!match) return deny("ROUTE_NOT_FOUND", scopes);
    const rule = match.value;
    if (!rule.public) {
      const alternatives = rule.alternatives ?? (rule.scopes ? [rule.scopes] : []);
      const allowed =
        rule.api === key.api &&
        alternatives.length > 0 &&
        alternatives.some((all) => all.every((s) => held.has(s)));
      if (!allowed) return deny("INSUFFICIENT_SCOPE", scopes);
    }
  }
  return { valid: true, code: "VALID", ...about, scopes };
}
