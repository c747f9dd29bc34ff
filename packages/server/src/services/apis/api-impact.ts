import {
  type ApiAccess,
  type Catalog,
  type CompiledGrant,
  parseTemplate,
  type RouteRule,
  type Snapshot,
} from "@tessera/sdk/core";
import type { StoredApi } from "./api-document";

/** A plan, role or grant that names scopes of the API the next import no longer declares. */
export interface AffectedPlan {
  key: string;
  scopes: string[];
}
export interface AffectedRole {
  key: string;
  scopes: string[];
}
export interface AffectedGrant {
  id: string;
  tenantId: string;
  userId?: string;
  scopes: string[];
}

export interface ApiImpact {
  plans: AffectedPlan[];
  roles: AffectedRole[];
  grants: AffectedGrant[];
}

/**
 * What stops granting when `removed` scopes leave the API `key`: the plans and grants whose access to it
 * names them, directly or through a role. Nothing is rewritten: their other scopes keep granting, and the
 * evaluator ignores a scope the API no longer declares.
 */
export function impactOf(snapshot: Snapshot, key: string, removed: ReadonlySet<string>): ApiImpact {
  const impact: ApiImpact = { plans: [], roles: [], grants: [] };
  if (removed.size === 0) return impact;
  const { catalog } = snapshot;
  const roles = new Set<string>();
  const lost = (access: ApiAccess | undefined): string[] => {
    if (!access || access.api !== key) return [];
    const scopes = new Set((access.scopes ?? []).filter((s) => removed.has(s)));
    for (const role of access.roles ?? []) {
      const fromRole = [...(catalog.roles.get(role)?.scopes ?? [])].filter((s) => removed.has(s));
      if (fromRole.length > 0) roles.add(role);
      for (const s of fromRole) scopes.add(s);
    }
    return [...scopes].sort();
  };

  for (const plan of catalog.plans.values()) {
    const scopes = [...new Set(plan.apiAccess.flatMap(lost))].sort();
    if (scopes.length > 0) impact.plans.push({ key: plan.key, scopes });
  }
  for (const [tenantId, entry] of snapshot.tenants) {
    const grants: [CompiledGrant, string | undefined][] = entry.grants.map((g) => [g, undefined]);
    for (const [userId, list] of entry.userGrants) for (const g of list) grants.push([g, userId]);
    for (const [grant, userId] of grants) {
      const scopes = lost(grant.apiAccess);
      if (scopes.length === 0) continue;
      impact.grants.push({ id: grant.id, tenantId, ...(userId === undefined ? {} : { userId }), scopes });
    }
  }
  for (const role of [...roles].sort()) {
    const scopes = [...(catalog.roles.get(role)?.scopes ?? [])].filter((s) => removed.has(s)).sort();
    impact.roles.push({ key: role, scopes });
  }
  return impact;
}

/** An operation whose route a hand-written rule or another API already answers for. */
export interface RouteConflict {
  operation: string;
  method: string;
  path: string;
  /** The rule that wins: a route's id, or `api@major#operation`. */
  shadowedBy: string;
}

/**
 * Operations of `api` that route checks will never reach, because the catalog compiler keeps the first
 * rule of each method and path shape: hand-written routes come first, then APIs in catalog order. Two
 * majors served under one base path is the usual cause. A variant shadowed by its own API's primary is
 * intended, and not listed.
 */
export function routeConflicts(catalog: Catalog, api: StoredApi): RouteConflict[] {
  const owners = new Map<string, string>();
  const claim = (method: string, path: string, owner: string) => {
    const shape = shapeOf(method, path);
    if (shape !== undefined && !owners.has(shape)) owners.set(shape, owner);
  };
  for (const rule of catalog.source.routes as RouteRule[]) claim(rule.method, rule.path, rule.id);
  for (const other of catalog.source.apis ?? []) {
    if (other.key === api.key) continue;
    const base = basePrefix(other.basePath);
    for (const op of other.operations) claim(op.method, `${base}${op.path}`, `${other.key}#${op.name}`);
  }
  const base = basePrefix(api.basePath);
  const conflicts: RouteConflict[] = [];
  for (const op of api.operations) {
    const path = `${base}${op.path}`;
    const shape = shapeOf(op.method, path);
    const owner = shape === undefined ? undefined : owners.get(shape);
    if (owner !== undefined)
      conflicts.push({ operation: op.name, method: op.method, path, shadowedBy: owner });
  }
  return conflicts;
}

function basePrefix(basePath: string | undefined): string {
  return basePath && basePath !== "/" ? basePath.replace(/\/$/, "") : "";
}

function shapeOf(method: string, path: string): string | undefined {
  try {
    return `${method.toUpperCase()} ${parseTemplate(path, method).shape}`;
  } catch {
    return undefined;
  }
}
