import type { Catalog, PlanBundle } from "./catalog";
import { addLimits, frozenSource, grants as valueGrants } from "./catalog";
import type { DecisionSource } from "./decision";
import type { CompiledGrant, CompiledSubscription, TenantEntry } from "./snapshot";
import type { ApiAccess, Feature, FeatureValue } from "./types";

export interface FeatureEntitlement {
  value: FeatureValue;
  source: DecisionSource;
}

/**
 * A tenant's entitlements from its subscriptions and tenant-wide grants. It holds for a window of time
 * [from, until) kept on the tenant's entry: between two boundaries (a start, an end, a trial end, an expiry)
 * nothing can change, so one computation serves every decision in that window, and a future-dated
 * subscription takes effect when `until` passes, with no job to run. Tenants without a grant share one
 * object per combination of plans (see catalog.ts PlanBundle), which keeps the decision's working set small.
 */
export interface Effective {
  /** The shared bundle's id (Catalog.bundleList) when this is one; -1 for a tenant's own. */
  bundleId: number;
  /** Whether any subscription is active in the window. */
  active: boolean;
  /** Keys of the active base plans and add-ons. */
  plans: readonly string[];
  /** What the plans give: the bundle's own map, shared by every tenant on the same plans. */
  features: ReadonlyMap<string, FeatureEntitlement>;
  /**
   * The same by feature ordinal (CompiledFeature.ordinal), also the bundle's. A decision has found the
   * feature in the catalog already; its ordinal then reaches the entitlement without a second hash lookup,
   * which inside a request (cold caches) costs a few hundred nanoseconds.
   */
  entitlements: readonly (FeatureEntitlement | undefined)[];
  /**
   * What the tenant-wide grants give, which overrides `features` key by key; undefined when none does. Kept
   * apart rather than merged into a copy of `features`: a tenant with one grant then holds a map of one.
   */
  granted: ReadonlyMap<string, FeatureEntitlement> | undefined;
  /** Permissions granted to every user of the tenant. */
  permissions: ReadonlyMap<string, DecisionSource>;
  /** API key → the scopes of it the tenant is entitled to (only scopes the API declares). */
  scopes: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface EffectiveWindow {
  effective: Effective;
  from: number;
  until: number;
}

/**
 * The tenant's entitlements at `at`. `live`: `at` is a reading of the clock, as opposed to a time a request
 * named, which may lie anywhere (see effectiveWindow).
 */
export function effectiveAt(catalog: Catalog, entry: TenantEntry, at: number, live: boolean): Effective {
  if (entry.memoGeneration === catalog.generation && at >= entry.memoFrom && at < entry.memoUntil)
    return entry.memo!;
  return effectiveWindow(catalog, entry, at, live).effective;
}

/**
 * The tenant's entitlements at `at` and the window they hold for; memoised on the entry. The memo is for the
 * window around now: a reading of the clock (`live`) always takes it, while a time a request named only fills
 * an empty one. Were a time in the future to take it, every later decision about now would miss the memo and
 * compute again, for as long as nothing else changed the tenant; and a time in the past would evict it.
 */
export function effectiveWindow(
  catalog: Catalog,
  entry: TenantEntry,
  at: number,
  live: boolean,
): EffectiveWindow {
  if (entry.memoGeneration === catalog.generation && at >= entry.memoFrom && at < entry.memoUntil)
    return { effective: entry.memo!, from: entry.memoFrom, until: entry.memoUntil };
  const computed = computeEffective(catalog, entry, at);
  if (live || entry.memoGeneration !== catalog.generation) {
    entry.memo = computed.effective;
    entry.memoGeneration = catalog.generation;
    entry.memoFrom = computed.from;
    entry.memoUntil = computed.until;
  }
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

const NO_PERMISSIONS: ReadonlyMap<string, DecisionSource> = new Map();
/** Past this many distinct plan combinations, new ones are computed per tenant rather than kept. */
const MAX_BUNDLES = 10_000;

function computeEffective(catalog: Catalog, entry: TenantEntry, at: number): EffectiveWindow {
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
  const bundle = bundleOf(catalog, active);

  const activeGrants: CompiledGrant[] = [];
  for (const g of entry.grants) {
    boundary(g.start);
    boundary(g.end);
    if (isGrantActive(g, at)) activeGrants.push(g);
  }
  // Most tenants have no grant: they share the bundle's own object.
  if (activeGrants.length === 0) return { effective: bundle, from, until };

  const permissions = new Map<string, DecisionSource>();
  const granted = new Map<string, FeatureEntitlement>();
  let scopes: Map<string, Set<string>> | undefined;
  for (const g of activeGrants) {
    if (g.permissionKey) permissions.set(g.permissionKey, frozenSource("grant", g.id));
    if (g.featureKey) mergeGrant(catalog, granted, g);
    if (g.apiAccess) {
      scopes ??= new Map([...bundle.scopes].map(([api, set]) => [api, new Set(set)]));
      addScopes(catalog, scopes, g.apiAccess);
    }
  }
  const effective: Effective = {
    bundleId: -1,
    active: bundle.active,
    plans: bundle.plans,
    features: bundle.features,
    entitlements: bundle.entitlements,
    granted: granted.size > 0 ? granted : undefined,
    permissions,
    scopes: scopes ?? bundle.scopes,
  };
  return { effective, from, until };
}

/** The shared bundle for a set of active subscriptions, computed once per catalog generation. */
function bundleOf(catalog: Catalog, active: readonly CompiledSubscription[]): PlanBundle {
  let key = "";
  for (const s of active) key += `${s.planKey}\u0000${s.addOns.join("\u0000")}\u0001`;
  const cached = catalog.bundles.get(key);
  if (cached) return cached;

  const features = new Map<string, FeatureEntitlement>();
  const plans: string[] = [];
  // Base plans first, then add-ons, so an add-on's limit adds to the base plan's and its config wins.
  for (const s of active) stackPlan(catalog, features, plans, s.planKey, "plan");
  for (const s of active) for (const addOn of s.addOns) stackPlan(catalog, features, plans, addOn, "addon");
  const scopes = new Map<string, Set<string>>();
  for (const planKey of plans) {
    for (const access of catalog.plans.get(planKey)?.apiAccess ?? []) addScopes(catalog, scopes, access);
  }
  const bundle: PlanBundle = {
    bundleId: -1,
    active: active.length > 0,
    plans,
    features,
    entitlements: byOrdinal(catalog, features),
    granted: undefined,
    permissions: NO_PERMISSIONS,
    scopes,
  };
  if (catalog.bundles.size < MAX_BUNDLES) {
    bundle.bundleId = catalog.bundleList.length;
    catalog.bundleList.push(bundle);
    catalog.bundles.set(key, bundle);
  }
  return bundle;
}

function byOrdinal(
  catalog: Catalog,
  features: ReadonlyMap<string, FeatureEntitlement>,
): (FeatureEntitlement | undefined)[] {
  // Filled with undefined first, so the array is packed rather than holey.
  const entitlements: (FeatureEntitlement | undefined)[] = Array.from({ length: catalog.features.size });
  for (const [key, entitlement] of features) {
    const feature = catalog.features.get(key);
    if (feature) entitlements[feature.ordinal] = entitlement;
  }
  return entitlements;
}

/**
 * Scopes are the union over plans, add-ons and grants, and only those the API declares: a scope a new
 * version of the document dropped stops granting, while grants on the scopes that remain keep working.
 */
export function addScopes(catalog: Catalog, scopes: Map<string, Set<string>>, access: ApiAccess): void {
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
  // An archived plan is closed to new subscriptions (the API refuses them); those already on it keep it.
  if (!plan) return;
  if (!plans.includes(planKey)) plans.push(planKey);
  for (const [featureKey, value] of plan.features) {
    const feature = catalog.features.get(featureKey);
    if (!feature) continue;
    const current = features.get(featureKey);
    if (!current) {
      features.set(featureKey, { value, source: plan.sources[type] });
      continue;
    }
    const before = current.value;
    current.value = combine(feature.type, before, value, type === "addon" ? "add" : "max");
    if (suppliedBy(feature, before, value, current.value)) current.source = plan.sources[type];
  }
}

/**
 * Whether the value a plan or grant stacked on is now its own: the source names what supplies the value. That
 * is the first plan that grants the feature at all (not one that lists it as off); then whichever later one
 * the answer came from instead: a higher limit, a config value that overrides, an unlimited add-on. A limit
 * that adds up stays with the plan it started from.
 */
function suppliedBy(feature: Feature, before: FeatureValue, value: FeatureValue, after: FeatureValue) {
  if (!valueGrants(feature, after)) return false;
  return !valueGrants(feature, before) || (after !== before && after === value);
}

function mergeGrant(catalog: Catalog, granted: Map<string, FeatureEntitlement>, g: CompiledGrant): void {
  const feature = catalog.features.get(g.featureKey!);
  if (!feature) return;
  granted.set(feature.key, withGrant(feature, granted.get(feature.key), g));
}

/**
 * What one subject's grants of a feature give, with `g` taken after those already in `current`: grants come
 * sorted by start, then id, so a config value is the one that started last; on/off is on if any grant is;
 * a limit is the greatest, and no value means unlimited. The same for a tenant's grants and a user's.
 */
export function withGrant(
  feature: Feature,
  current: FeatureEntitlement | undefined,
  g: CompiledGrant,
): FeatureEntitlement {
  const value = g.value ?? defaultGrantValue(feature.type);
  if (!current) return { value, source: frozenSource("grant", g.id) };
  const after = combine(feature.type, current.value, value, "max");
  return {
    value: after,
    source: suppliedBy(feature, current.value, value, after) ? frozenSource("grant", g.id) : current.source,
  };
}

/** A grant with no value means "the feature, fully": on, or unlimited. */
function defaultGrantValue(type: "boolean" | "limit" | "config"): FeatureValue {
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
  return mode === "add" ? addLimits(x, y) : Math.max(x, y);
}
