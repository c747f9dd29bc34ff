import type { DecisionSource, Remediation } from "./decision";
import { compileRouteTable, parseTemplate, type RouteTable } from "./routes";
import type {
  Api,
  ApiAccess,
  EnvironmentState,
  Feature,
  FeatureValue,
  Flag,
  Permission,
  Plan,
  Role,
  RouteRule,
} from "./types";

/**
 * What decisions say is built here, once per catalog change, and frozen: a decision points at these rather
 * than building its own message, source and remediation, so answering allocates less, and the server can
 * reuse what it wrote for them before (frozen objects cannot change under a cache).
 */
export interface CompiledFeature extends Feature {
  /** The feature's place in the catalog (0, 1, …): its index in a bundle's `entitlements`. */
  ordinal: number;
  /** FEATURE_NOT_IN_PLAN's message. */
  notInPlan: string;
  /** The base and add-on plans whose value grants it, for a denial; undefined when none does. */
  remediation: Remediation | undefined;
  /** The base plans alone: what a tenant with no active subscription can take (an add-on needs a base). */
  baseRemediation: Remediation | undefined;
  /** Each plan that grants it, with its value: to name those that would allow a requested usage. */
  offers: readonly PlanOffer[];
  /** When a flag gates the feature: what a shut gate says, and its source. */
  gate: { message: string; source: DecisionSource } | undefined;
}

export interface PlanOffer {
  plan: string;
  kind: "base" | "addon";
  value: FeatureValue;
}

export interface CompiledPermission extends Permission {
  /** PERMISSION_MISSING's message. */
  missing: string;
  /** The roles that carry it, for a denial; undefined when none does. */
  remediation: Remediation | undefined;
}

export interface CompiledRoute extends RouteRule {
  source: DecisionSource;
}

export interface CompiledPlan {
  key: string;
  kind: "base" | "addon";
  archived: boolean;
  features: Map<string, FeatureValue>;
  apiAccess: ApiAccess[];
  /** The source of what the plan gives, as a base plan or as an add-on. */
  sources: { plan: DecisionSource; addon: DecisionSource };
}

export interface CompiledRole {
  key: string;
  /** The source of a decision this role made. */
  source: DecisionSource;
  /** Permissions of the role and of every role it includes, transitively. */
  permissions: Set<string>;
  scopes: Set<string>;
}

export interface CompiledApi {
  api: Api;
  /** Every scope the API knows: declared by its security schemes or required by an operation. */
  scopes: Set<string>;
}

/**
 * The catalog part of a snapshot: small (features, plans, roles, flags, routes), so it is compiled whole
 * whenever any of it changes. `generation` lets per-tenant memos know when they went stale.
 */
export interface Catalog {
  generation: number;
  features: Map<string, CompiledFeature>;
  permissions: Map<string, CompiledPermission>;
  roles: Map<string, CompiledRole>;
  plans: Map<string, CompiledPlan>;
  flags: Map<string, Flag>;
  routes: RouteTable<CompiledRoute>;
  apis: Map<string, CompiledApi>;
  /**
   * What each combination of plans gives, shared by every tenant on that combination (see effective.ts).
   * It lives on the catalog, so a catalog change drops it with everything else it was computed from.
   */
  bundles: Map<string, PlanBundle>;
  /** The same bundles by id (PlanBundle.bundleId), for memos that hold a number rather than an object. */
  bundleList: PlanBundle[];
  source: Pick<
    EnvironmentState,
    "features" | "permissions" | "roles" | "plans" | "flags" | "routes" | "apis"
  >;
}

export type CatalogSource = Catalog["source"];

/**
 * The entitlements a set of active subscriptions gives, before grants. Read-only once built: tenants on the
 * same plans share one, which keeps the evaluator's working set small however many tenants there are.
 */
export interface PlanBundle {
  /** The bundle's index in Catalog.bundleList, or -1 when it is not kept there. */
  bundleId: number;
  /** Whether any subscription is active: false for the empty combination. */
  active: boolean;
  plans: readonly string[];
  features: ReadonlyMap<string, { value: FeatureValue; source: DecisionSource }>;
  /** The same entitlements by feature ordinal (CompiledFeature.ordinal), for the decision's hot path. */
  entitlements: readonly ({ value: FeatureValue; source: DecisionSource } | undefined)[];
  /** A bundle is what plans give: no grant is in it. */
  granted: undefined;
  /** Plans give no permissions to every user; grants do. Always empty here. */
  permissions: ReadonlyMap<string, DecisionSource>;
  /** API key → the scopes of it the plans give (only scopes the API declares). */
  scopes: ReadonlyMap<string, ReadonlySet<string>>;
}

export function compileCatalog(source: CatalogSource, generation: number): Catalog {
  const plans = new Map<string, CompiledPlan>();
  for (const plan of source.plans) plans.set(plan.key, compilePlan(plan));

  const features = new Map<string, CompiledFeature>();
  for (const feature of source.features) {
    const offers: PlanOffer[] = [];
    for (const plan of plans.values()) {
      const value = plan.features.get(feature.key);
      if (!plan.archived && grants(feature, value))
        offers.push({ plan: plan.key, kind: plan.kind, value: value! });
    }
    // Every field named, in one order, rather than spread from the record: features stored with and without
    // a description or a flag would otherwise each get a hidden class of their own, and the decision's reads
    // of a feature would go polymorphic. The fields a decision reads come first.
    features.set(feature.key, {
      key: feature.key,
      type: feature.type,
      archived: feature.archived,
      ordinal: features.size,
      notInPlan: `The tenant's plan does not include "${feature.key}".`,
      remediation: plansRemediation(offers.map((o) => o.plan)),
      gate: feature.flagKey
        ? Object.freeze({
            message: `Feature "${feature.key}" is turned off by flag "${feature.flagKey}".`,
            source: frozenSource("flag", feature.flagKey),
          })
        : undefined,
      name: feature.name,
      description: feature.description,
      resetPeriod: feature.resetPeriod,
      flagKey: feature.flagKey,
      baseRemediation: plansRemediation(offers.filter((o) => o.kind === "base").map((o) => o.plan)),
      offers: Object.freeze(offers.map((o) => Object.freeze(o))),
    });
  }

  const roles = expandRoles(source.roles);
  const rolesByPermission = new Map<string, string[]>();
  for (const role of roles.values()) {
    for (const permission of role.permissions) {
      const list = rolesByPermission.get(permission);
      if (list) list.push(role.key);
      else rolesByPermission.set(permission, [role.key]);
    }
  }

  const permissions = new Map<string, CompiledPermission>();
  for (const permission of source.permissions) {
    const roles = rolesByPermission.get(permission.key);
    permissions.set(permission.key, {
      ...permission,
      missing: `The user lacks permission "${permission.key}".`,
      remediation: roles ? Object.freeze({ roles: Object.freeze(roles) }) : undefined,
    });
  }

  return {
    generation,
    features,
    permissions,
    roles,
    plans,
    flags: new Map(source.flags.map((f) => [f.key, f])),
    routes: compileRouteTable(routeRules(source.routes, source.apis ?? [])),
    apis: new Map((source.apis ?? []).map((api) => [api.key, compileApi(api)])),
    bundles: new Map(),
    bundleList: [],
    source,
  };
}

function compileApi(api: Api): CompiledApi {
  const scopes = new Set(api.scopes.map((s) => s.name));
  for (const op of api.operations)
    for (const alternative of op.alternatives) for (const s of alternative) scopes.add(s);
  return { api, scopes };
}

/**
 * Hand-written rules first, then every imported operation. A second rule for the same method and path
 * template is skipped rather than thrown: the API refuses duplicates when they are written, and an import
 * must never make the catalog uncompilable.
 */
function routeRules(rules: RouteRule[], apis: Api[]) {
  const seen = new Set<string>();
  const definitions: { method: string; path: string; value: CompiledRoute }[] = [];
  const add = (rule: RouteRule) => {
    let shape: string;
    try {
      shape = `${rule.method.toUpperCase()} ${parseTemplate(rule.path, rule.method).shape}`;
    } catch {
      return;
    }
    if (seen.has(shape)) return;
    seen.add(shape);
    definitions.push({
      method: rule.method,
      path: rule.path,
      value: { ...rule, source: frozenSource("route", rule.id) },
    });
  };
  for (const rule of rules) add(rule);
  for (const api of apis) {
    const base = api.basePath && api.basePath !== "/" ? api.basePath.replace(/\/$/, "") : "";
    for (const op of api.operations) {
      add({
        id: `${api.key}#${op.name}`,
        method: op.method,
        path: `${base}${op.path}`,
        api: api.key,
        alternatives: op.alternatives,
        public: op.alternatives.length === 0,
      });
    }
  }
  return definitions;
}

function plansRemediation(plans: string[]): Remediation | undefined {
  return plans.length > 0 ? Object.freeze({ plans: Object.freeze(plans) }) : undefined;
}

/**
 * The plans that would allow `requested` of a limit feature, to a tenant whose limit is now `current` (0
 * without one) on the plans `held`: a base plan whose own limit is enough (in place of the tenant's), or an
 * add-on whose limit, added to the current one, is (only for a tenant with a base plan to add it to).
 */
export function usageRemediation(
  feature: CompiledFeature,
  requested: number,
  current: number | null,
  held: readonly string[],
  active: boolean,
): Remediation | undefined {
  const plans: string[] = [];
  for (const { plan, kind, value } of feature.offers) {
    if (held.includes(plan) || (kind === "addon" && !active)) continue;
    const own = value as number | null;
    const allowed = kind === "base" || own === null || current === null ? own : addLimits(current, own);
    if (allowed === null || allowed >= requested) plans.push(plan);
  }
  return plans.length > 0 ? { plans } : undefined;
}

function compilePlan(plan: Plan): CompiledPlan {
  return {
    key: plan.key,
    kind: plan.kind,
    archived: plan.archived ?? false,
    features: new Map(Object.entries(plan.features)),
    apiAccess: plan.apiAccess ?? [],
    sources: { plan: frozenSource("plan", plan.key), addon: frozenSource("addon", plan.key) },
  };
}

/**
 * Two limits added up, as a person would: 0.7 + 0.1 is 0.8, where binary floating point makes it
 * 0.7999999999999999 and refuses a request for exactly 0.8. Fifteen significant digits are all a double holds
 * exactly in decimal, so rounding there drops only the error of the addition.
 */
export function addLimits(a: number, b: number): number | null {
  const sum = a + b;
  // Past the largest double (1e308 and 1e308 more): no count ever reaches it, so it is unlimited.
  if (!Number.isFinite(sum)) return null;
  return Number(sum.toPrecision(15));
}

/** Whether a plan or grant value gives access at all: `false` and a zero limit do not. */
export function grants(feature: Feature, value: FeatureValue | undefined): boolean {
  if (value === undefined) return false;
  if (feature.type === "boolean") return value === true;
  if (feature.type === "limit") return value === null || (typeof value === "number" && value > 0);
  return true;
}

/** Resolves role inclusion once per catalog change; a cycle just stops expanding (the API refuses them). */
function expandRoles(roles: Role[]): Map<string, CompiledRole> {
  const byKey = new Map(roles.map((r) => [r.key, r]));
  const result = new Map<string, CompiledRole>();
  for (const role of roles) {
    const permissions = new Set<string>();
    const scopes = new Set<string>();
    const seen = new Set<string>();
    const stack = [role.key];
    while (stack.length > 0) {
      const key = stack.pop()!;
      if (seen.has(key)) continue;
      seen.add(key);
      const current = byKey.get(key);
      if (!current) continue;
      for (const p of current.permissions) permissions.add(p);
      for (const s of current.scopes ?? []) scopes.add(s);
      for (const included of current.includes ?? []) stack.push(included);
    }
    result.set(role.key, { key: role.key, source: frozenSource("role", role.key), permissions, scopes });
  }
  return result;
}

/** A decision source that many decisions share: frozen, since each of them hands it out. */
export function frozenSource(type: DecisionSource["type"], key: string): DecisionSource {
  return Object.freeze({ type, key });
}
