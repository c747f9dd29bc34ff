import type { Catalog } from "./catalog";
import { grants as valueGrants } from "./catalog";
import type { DecisionSource } from "./decision";
import type { CompiledGrant, CompiledSubscription, TenantEntry } from "./snapshot";
import type { ApiAccess, FeatureValue } from "./types";

export interface FeatureEntitlement {
  value: FeatureValue;
  source: DecisionSource;
}

/**
 * A tenant's entitlements from its subscriptions and tenant-wide grants, valid for every evaluation time in
 * [from, until). Between two boundaries (a start, an end, a trial end, an expiry) nothing can change, so one
 * computation serves every decision in that window; a future-dated subscription takes effect when `until`
 * passes, with no job to run.
 */
export interface Effective {
  generation: number;
  from: number;
  until: number;
  /** Whether any subscription is active in the window. */
  active: boolean;
  /** Keys of the active base plans and add-ons. */
  plans: string[];
  features: Map<string, FeatureEntitlement>;
  /** Permissions granted to every user of the tenant. */
  permissions: Map<string, DecisionSource>;
  /** API key → the scopes of it the tenant is entitled to (only scopes the API declares). */
  scopes: Map<string, Set<string>>;
}

export function effectiveAt(catalog: Catalog, entry: TenantEntry, at: number): Effective {
  const memo = entry.memo;
  if (memo && memo.generation === catalog.generation && at >= memo.from && at < memo.until) return memo;
  const computed = computeEffective(catalog, entry, at);
  // Memoise only the window around "now"-ish times: an `at` far in the past must not evict the live one.
  if (!memo || memo.generation !== catalog.generation || computed.from >= memo.from) entry.memo = computed;
  return computed;
}

export function isSubscriptionActive(s: CompiledSubscription, at: number): boolean {
  if (at < s.start || (s.end !== undefined && at >= s.end)) return false;
  switch (s.status) {
    case "active":
    case "past_due":
      return true;
    case "trialing":
      return s.trialEnd === undefined || at < s.trialEnd;
    case "canceled":
      // Canceled at period end: it keeps working until its end, and only if it has one.
      return s.end !== undefined;
    default:
      return false;
  }
}

export function isGrantActive(g: CompiledGrant, at: number): boolean {
  return (g.start === undefined || at >= g.start) && (g.end === undefined || at < g.end);
}

function computeEffective(catalog: Catalog, entry: TenantEntry, at: number): Effective {
  let from = Number.NEGATIVE_INFINITY;
  let until = Number.POSITIVE_INFINITY;
  const boundary = (time: number | undefined) => {
    if (time === undefined) return;
    if (time <= at) from = Math.max(from, time);
    else until = Math.min(until, time);
  };

  const active: CompiledSubscription[] = [];
  for (const s of entry.subscriptions) {
    boundary(s.start);
    boundary(s.end);
    boundary(s.trialEnd);
    if (isSubscriptionActive(s, at)) active.push(s);
  }

  const features = new Map<string, FeatureEntitlement>();
  const plans: string[] = [];
  // Base plans first, then add-ons, so an add-on's limit adds to the base plan's and its config wins.
  for (const s of active) stackPlan(catalog, features, plans, s.planKey, "plan");
  for (const s of active) for (const addOn of s.addOns) stackPlan(catalog, features, plans, addOn, "addon");

  const scopes = new Map<string, Set<string>>();
  for (const planKey of plans) {
    for (const access of catalog.plans.get(planKey)?.apiAccess ?? []) addScopes(catalog, scopes, access);
  }

  const permissions = new Map<string, DecisionSource>();
  const granted = new Map<string, FeatureEntitlement>();
  for (const g of entry.grants) {
    boundary(g.start);
    boundary(g.end);
    if (!isGrantActive(g, at)) continue;
    if (g.permissionKey) permissions.set(g.permissionKey, { type: "grant", key: g.id });
    if (g.featureKey) mergeGrant(catalog, granted, g);
    if (g.apiAccess) addScopes(catalog, scopes, g.apiAccess);
  }
  // A grant overrides what the plans give.
  for (const [key, entitlement] of granted) features.set(key, entitlement);

  return {
    generation: catalog.generation,
    from,
    until,
    active: active.length > 0,
    plans,
    features,
    permissions,
    scopes,
  };
}

/**
 * Scopes are the union over plans, add-ons and grants, and only those the API declares: a scope a new
 * version of the document dropped stops granting, while grants on the scopes that remain keep working.
 */
function addScopes(catalog: Catalog, scopes: Map<string, Set<string>>, access: ApiAccess): void {
  const api = catalog.apis.get(access.api);
  if (!api) return;
  let set = scopes.get(access.api);
  if (!set) {
    set = new Set();
    scopes.set(access.api, set);
  }
  if (access.all) for (const scope of api.scopes) set.add(scope);
  const wanted = [...(access.scopes ?? [])];
  for (const roleKey of access.roles ?? []) wanted.push(...(catalog.roles.get(roleKey)?.scopes ?? []));
  for (const scope of wanted) if (api.scopes.has(scope)) set.add(scope);
}

/** What a base plan and its add-ons give, stacked the way a subscription stacks them. */
export function planEntitlements(catalog: Catalog, planKey: string, addOns: readonly string[]) {
  const features = new Map<string, FeatureEntitlement>();
  const plans: string[] = [];
  stackPlan(catalog, features, plans, planKey, "plan");
  for (const addOn of addOns) stackPlan(catalog, features, plans, addOn, "addon");
  return { plans, features };
}

function stackPlan(
  catalog: Catalog,
  features: Map<string, FeatureEntitlement>,
  plans: string[],
  planKey: string,
  type: "plan" | "addon",
): void {
  const plan = catalog.plans.get(planKey);
  if (!plan || plan.archived) return;
  if (!plans.includes(planKey)) plans.push(planKey);
  for (const [featureKey, value] of plan.features) {
    const feature = catalog.features.get(featureKey);
    if (!feature) continue;
    const current = features.get(featureKey);
    if (!current) {
      features.set(featureKey, { value, source: { type, key: planKey } });
      continue;
    }
    const grantedBefore = valueGrants(feature, current.value);
    current.value = combine(feature.type, current.value, value, type === "addon" ? "add" : "max");
    // The source is the first plan that actually grants the feature, not one that lists it as off.
    if (!grantedBefore && valueGrants(feature, current.value)) current.source = { type, key: planKey };
  }
}

function mergeGrant(catalog: Catalog, granted: Map<string, FeatureEntitlement>, g: CompiledGrant): void {
  const feature = catalog.features.get(g.featureKey!);
  if (!feature) return;
  const value = g.value ?? defaultGrantValue(feature.type);
  const current = granted.get(feature.key);
  const source: DecisionSource = { type: "grant", key: g.id };
  if (!current) granted.set(feature.key, { value, source });
  else current.value = combine(feature.type, current.value, value, "max");
}

/** A grant with no value means "the feature, fully": on, or unlimited. */
export function defaultGrantValue(type: "boolean" | "limit" | "config"): FeatureValue {
  return type === "boolean" ? true : null;
}

function combine(
  type: "boolean" | "limit" | "config",
  a: FeatureValue,
  b: FeatureValue,
  mode: "max" | "add",
): FeatureValue {
  if (type === "boolean") return a === true || b === true;
  if (type === "config") return b;
  // Limits: null is unlimited and absorbs everything.
  if (a === null || b === null) return null;
  const x = typeof a === "number" ? a : 0;
  const y = typeof b === "number" ? b : 0;
  return mode === "add" ? x + y : Math.max(x, y);
}
