/**
 * The same questions answered with @casl/ability and with casbin, for comparison with Tessera's evaluator.
 *
 * Neither library knows about subscriptions, trials, expiring grants, limits that add up across add-ons, or
 * flags. So, as an application using them would, we resolve those at build time for one instant (`at`) and
 * hand each library the result in its own idiom:
 *
 * - CASL: one ability per tenant (tenant-wide questions) and one per member (questions about a user), with
 *   rules like `can("use", "Feature", { key, usage: { $lte: limit } })` and
 *   `can("perform", "Permission", { key })`. Abilities are built for the subjects the requests name.
 * - casbin: RBAC with domains, a tenant per domain: `g, tenant:t, plan:pro, t`, `g, user:u, tenant:t, t`,
 *   `g, user:u, role:admin, t`; plans and roles hold global policies `p, plan:pro, feature:sso, use, allow`;
 *   grants are roles too (`g, tenant:t, grant:feature:sso, t`), and a flag that is off for a tenant is a deny
 *   (`g, tenant:t, flagoff:workflows, t` + `p, flagoff:workflows, feature:workflows, use, deny`). casbin has
 *   no quotas: a request with a usage is compared, after `enforce`, with the tenant's limit from a map.
 *
 * Both get routes through the same regex router (what the application's web framework would do), then ask
 * their library about the feature and/or permission the route requires. Everything a request needs (CASL
 * subject objects, casbin argument tuples) is built ahead, as Tessera's requests are.
 *
 * The derivation below is written independently of Tessera's evaluator (only the flag targeting is
 * reused): the benchmark checks that all three give the same answers, so the comparison is like for like.
 */
import { type AnyMongoAbility, subject as caslSubject, createMongoAbility } from "@casl/ability";
import { type Enforcer, newEnforcer, newModelFromString } from "casbin";
import type { CheckRequest } from "../packages/sdk/src/core/decision";
import { evaluateFlag } from "../packages/sdk/src/core/flags";
import type { EnvironmentState, Feature, FeatureValue, RouteRule } from "../packages/sdk/src/core/types";

// ---------------------------------------------------------------------------------------------------------
// The derived model: who has what, at one instant

interface DerivedUser {
  /** Features the user's own grants give, overriding the tenant's value. */
  features: Map<string, FeatureValue>;
  /** From roles (with their includes), the user's grants and the tenant's grants. */
  permissions: Set<string>;
  roles: string[];
  grantedPermissions: Set<string>;
}

interface DerivedTenant {
  id: string;
  /** Active base plans and add-ons. */
  plans: string[];
  /** Stacked plan values, overridden by the tenant's grants. */
  features: Map<string, FeatureValue>;
  grantedFeatures: Set<string>;
  grantedPermissions: Set<string>;
  /** Gated features whose flag is off for this tenant. */
  flagOff: Set<string>;
  users: Map<string, DerivedUser>;
}

export interface Derived {
  features: Map<string, Feature>;
  permissionFeature: Map<string, string | undefined>;
  rolePermissions: Map<string, Set<string>>;
  planFeatures: Map<string, Map<string, FeatureValue>>;
  tenants: Map<string, DerivedTenant>;
  router: Router;
}

const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : undefined);

function grantsAccess(feature: Feature, value: FeatureValue | undefined): boolean {
  if (value === undefined) return false;
  if (feature.type === "boolean") return value === true;
  if (feature.type === "limit") return value === null || (typeof value === "number" && value > 0);
  return true;
}

function stack(type: Feature["type"], a: FeatureValue, b: FeatureValue, add: boolean): FeatureValue {
  if (type === "boolean") return a === true || b === true;
  if (type === "config") return b;
  if (a === null || b === null) return null;
  return add ? (a as number) + (b as number) : Math.max(a as number, b as number);
}

function mergeGrant(
  features: Map<string, Feature>,
  into: Map<string, FeatureValue>,
  key: string,
  value: FeatureValue | undefined,
): void {
  const feature = features.get(key);
  if (!feature) return;
  const v = value ?? (feature.type === "boolean" ? true : null);
  const current = into.get(key);
  into.set(key, current === undefined ? v : stack(feature.type, current, v, false));
}

export function derive(state: EnvironmentState, at: number): Derived {
  const features = new Map(state.features.map((f) => [f.key, f]));
  const planFeatures = new Map(state.plans.map((p) => [p.key, new Map(Object.entries(p.features))]));
  const planKind = new Map(state.plans.map((p) => [p.key, p.kind]));

  const roleSource = new Map(state.roles.map((r) => [r.key, r]));
  const rolePermissions = new Map<string, Set<string>>();
  for (const role of state.roles) {
    const out = new Set<string>();
    const seen = new Set<string>();
    const visit = (key: string) => {
      if (seen.has(key)) return;
      seen.add(key);
      const r = roleSource.get(key);
      if (!r) return;
      for (const p of r.permissions) out.add(p);
      for (const inc of r.includes ?? []) visit(inc);
    };
    visit(role.key);
    rolePermissions.set(role.key, out);
  }

  const tenants = new Map<string, DerivedTenant>();
  for (const t of state.tenants) {
    tenants.set(t.id, {
      id: t.id,
      plans: [],
      features: new Map(),
      grantedFeatures: new Set(),
      grantedPermissions: new Set(),
      flagOff: new Set(),
      users: new Map(),
    });
  }

  const activeSubs = new Map<string, { planKey: string; addOns: string[] }[]>();
  for (const s of state.subscriptions) {
    const start = ms(s.startAt) ?? 0;
    const end = ms(s.endAt);
    const trialEnd = ms(s.trialEndAt);
    if (at < start || (end !== undefined && at >= end)) continue;
    const active =
      s.status === "active" ||
      s.status === "past_due" ||
      (s.status === "trialing" && (trialEnd === undefined || at < trialEnd)) ||
      (s.status === "canceled" && end !== undefined);
    if (!active) continue;
    const list = activeSubs.get(s.tenantId) ?? [];
    list.push({ planKey: s.planKey, addOns: s.addOns ?? [] });
    activeSubs.set(s.tenantId, list);
  }
  for (const [tenantId, subs] of activeSubs) {
    const t = tenants.get(tenantId);
    if (!t) continue;
    const apply = (planKey: string, add: boolean) => {
      const values = planFeatures.get(planKey);
      if (!values) return;
      if (!t.plans.includes(planKey)) t.plans.push(planKey);
      for (const [key, value] of values) {
        const feature = features.get(key);
        if (!feature) continue;
        const current = t.features.get(key);
        t.features.set(key, current === undefined ? value : stack(feature.type, current, value, add));
      }
    };
    for (const s of subs) if (planKind.get(s.planKey) === "base") apply(s.planKey, false);
    for (const s of subs) for (const a of s.addOns) apply(a, true);
  }

  for (const m of state.memberships) {
    const t = tenants.get(m.tenantId);
    if (!t) continue;
    const permissions = new Set<string>();
    for (const r of m.roles) for (const p of rolePermissions.get(r) ?? []) permissions.add(p);
    t.users.set(m.userId, {
      features: new Map(),
      permissions,
      roles: m.roles,
      grantedPermissions: new Set(),
    });
  }

  const tenantGrants = new Map<string, Map<string, FeatureValue>>();
  for (const g of state.grants) {
    const start = ms(g.startAt);
    const end = ms(g.expiresAt);
    if ((start !== undefined && at < start) || (end !== undefined && at >= end)) continue;
    const t = tenants.get(g.tenantId);
    if (!t) continue;
    if (g.userId) {
      const u = t.users.get(g.userId);
      if (!u) continue;
      if (g.featureKey) mergeGrant(features, u.features, g.featureKey, g.value);
      if (g.permissionKey) {
        u.permissions.add(g.permissionKey);
        u.grantedPermissions.add(g.permissionKey);
      }
    } else {
      if (g.featureKey) {
        let map = tenantGrants.get(t.id);
        if (!map) {
          map = new Map();
          tenantGrants.set(t.id, map);
        }
        mergeGrant(features, map, g.featureKey, g.value);
        t.grantedFeatures.add(g.featureKey);
      }
      if (g.permissionKey) t.grantedPermissions.add(g.permissionKey);
    }
  }
  // A tenant's grants override its plans; its grants of permissions reach every member.
  for (const [tenantId, map] of tenantGrants) {
    const t = tenants.get(tenantId)!;
    for (const [key, value] of map) t.features.set(key, value);
  }
  for (const t of tenants.values())
    for (const u of t.users.values()) for (const p of t.grantedPermissions) u.permissions.add(p);

  const tenantRecords = new Map(state.tenants.map((t) => [t.id, t]));
  const flags = new Map(state.flags.map((f) => [f.key, f]));
  for (const t of tenants.values()) {
    for (const feature of features.values()) {
      if (!feature.flagKey) continue;
      const flag = flags.get(feature.flagKey);
      const on =
        flag !== undefined && evaluateFlag(flag, { tenant: tenantRecords.get(t.id)!, plans: t.plans }).on;
      if (!on) t.flagOff.add(feature.key);
    }
  }

  return {
    features,
    permissionFeature: new Map(state.permissions.map((p) => [p.key, p.featureKey ?? undefined])),
    rolePermissions,
    planFeatures,
    tenants,
    router: new Router(state.routes),
  };
}

/** The value of a feature for a tenant (and user), if they are entitled to it at all; else undefined. */
function entitledValue(
  d: Derived,
  t: DerivedTenant,
  u: DerivedUser | undefined,
  key: string,
): { value: FeatureValue } | undefined {
  const feature = d.features.get(key);
  if (!feature || feature.archived) return undefined;
  // A user's grant overrides the tenant's value, even with null (unlimited).
  const value = u?.features.has(key) ? u.features.get(key) : t.features.get(key);
  if (!grantsAccess(feature, value) || t.flagOff.has(key)) return undefined;
  return { value: value! };
}

// ---------------------------------------------------------------------------------------------------------
// Routes: a plain regex router, most specific template first, as a web framework would resolve them

class Router {
  private readonly rules: { rule: RouteRule; method: string; regex: RegExp }[];

  constructor(rules: RouteRule[]) {
    const scored = rules.map((rule) => {
      const segments = rule.path.split("/").filter((s) => s !== "");
      // Per segment: static 3, literal with a parameter 2, parameter 1, catch-all 0.
      const score = segments.map((s) =>
        /^\{[^}]+\+\}$|^\*$/.test(s) ? 0 : /^\{[^}]+\}$/.test(s) ? 1 : s.includes("{") ? 2 : 3,
      );
      const source = segments
        .map((s) =>
          /^\{[^}]+\+\}$|^\*$/.test(s)
            ? "(.+)"
            : s.replace(/\{[^}]+\}|[^{]+/g, (part) =>
                part.startsWith("{") ? "([^/]+?)" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
              ),
        )
        .join("/");
      const method = rule.method.toUpperCase();
      return { rule, method: method === "ANY" ? "*" : method, regex: new RegExp(`^/${source}$`), score };
    });
    scored.sort((a, b) => {
      for (let i = 0; i < Math.max(a.score.length, b.score.length); i++) {
        const x = a.score[i] ?? -1;
        const y = b.score[i] ?? -1;
        if (x !== y) return y - x;
      }
      return 0;
    });
    this.rules = scored;
  }

  match(method: string, path: string): RouteRule | undefined {
    let end = path.length;
    const q = path.indexOf("?");
    if (q !== -1) end = q;
    if (end > 1 && path.charCodeAt(end - 1) === 47) end--;
    const p = end === path.length ? path : path.slice(0, end);
    for (const r of this.rules) {
      if ((r.method === "*" || r.method === method) && r.regex.test(p)) return r.rule;
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// CASL

type Ability = AnyMongoAbility;

interface CaslRequest {
  tenantId: string;
  userId: string | undefined;
  kind: "feature" | "permission" | "route";
  /** The CASL subject objects, built once. */
  feature: object | undefined;
  permission: object | undefined;
  method: string;
  path: string;
}

export interface CaslBench {
  /** Answers request `i` of the list it was built for. */
  check(i: number): boolean;
  abilities: number;
  rules: number;
}

function caslRules(d: Derived, t: DerivedTenant, u: DerivedUser | undefined) {
  const rules: { action: string; subject: string; conditions: object }[] = [];
  const keys = new Set([...t.features.keys(), ...(u?.features.keys() ?? [])]);
  for (const key of keys) {
    const entitled = entitledValue(d, t, u, key);
    if (!entitled) continue;
    const v = entitled.value;
    const limited = d.features.get(key)!.type === "limit" && typeof v === "number";
    rules.push({
      action: "use",
      subject: "Feature",
      conditions: limited ? { key, usage: { $lte: v } } : { key },
    });
  }
  if (u) {
    for (const p of u.permissions) {
      if (!d.permissionFeature.has(p)) continue;
      const linked = d.permissionFeature.get(p);
      if (linked !== undefined && !entitledValue(d, t, u, linked)) continue;
      rules.push({ action: "perform", subject: "Permission", conditions: { key: p } });
    }
  }
  return rules;
}

export function buildCasl(d: Derived, requests: readonly CheckRequest[]): CaslBench {
  const tenantAbilities = new Map<string, Ability>();
  const userAbilities = new Map<string, Map<string, Ability>>();
  let rules = 0;
  const ensure = (tenantId: string, userId: string | undefined) => {
    const t = d.tenants.get(tenantId);
    if (!t) return;
    if (userId === undefined) {
      if (tenantAbilities.has(tenantId)) return;
      const r = caslRules(d, t, undefined);
      rules += r.length;
      tenantAbilities.set(tenantId, createMongoAbility(r));
      return;
    }
    const u = t.users.get(userId);
    if (!u) return;
    let map = userAbilities.get(tenantId);
    if (!map) {
      map = new Map();
      userAbilities.set(tenantId, map);
    }
    if (map.has(userId)) return;
    const r = caslRules(d, t, u);
    rules += r.length;
    map.set(userId, createMongoAbility(r));
  };

  const prepared: CaslRequest[] = requests.map((r) => {
    ensure(r.subject.tenantId, r.subject.userId);
    const featureSubject = (key: string, usage: number | undefined) =>
      caslSubject("Feature", { key, usage: usage ?? 0 });
    let feature: object | undefined;
    let permission: object | undefined;
    if (r.feature !== undefined) feature = featureSubject(r.feature, r.requestedUsage);
    if (r.permission !== undefined) permission = caslSubject("Permission", { key: r.permission });
    if (r.route !== undefined) {
      // What the route requires is only known once it is matched; build both subjects it could need.
      const rule = d.router.match(r.route.method, r.route.path);
      if (rule?.featureKey) feature = featureSubject(rule.featureKey, r.requestedUsage);
      if (rule?.permissionKey) permission = caslSubject("Permission", { key: rule.permissionKey });
    }
    return {
      tenantId: r.subject.tenantId,
      userId: r.subject.userId,
      kind: r.feature !== undefined ? "feature" : r.permission !== undefined ? "permission" : "route",
      feature,
      permission,
      method: r.route?.method ?? "",
      path: r.route?.path ?? "",
    };
  });

  const abilityOf = (req: CaslRequest): Ability | undefined =>
    req.userId === undefined
      ? tenantAbilities.get(req.tenantId)
      : userAbilities.get(req.tenantId)?.get(req.userId);

  return {
    abilities: tenantAbilities.size + [...userAbilities.values()].reduce((n, m) => n + m.size, 0),
    rules,
    check(i) {
      const req = prepared[i]!;
      const ability = abilityOf(req);
      if (!ability) return false;
      if (req.kind === "feature") return ability.can("use", req.feature as never);
      if (req.kind === "permission") return ability.can("perform", req.permission as never);
      const rule = d.router.match(req.method, req.path);
      if (!rule) return false;
      if (rule.public) return true;
      if (!rule.featureKey && !rule.permissionKey) return false;
      if (rule.featureKey && !ability.can("use", req.feature as never)) return false;
      if (rule.permissionKey) {
        if (req.userId === undefined) return false;
        if (!ability.can("perform", req.permission as never)) return false;
      }
      return true;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// casbin

const CASBIN_MODEL = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, obj, act, eft

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = r.obj == p.obj && r.act == p.act && g(r.sub, p.sub, r.dom)
`;

interface CasbinRequest {
  kind: "feature" | "permission" | "route";
  tenantId: string;
  sub: string;
  hasUser: boolean;
  /** Whether the tenant exists and the user is one of its members: the application checks this first. */
  known: boolean;
  featureObj: string | undefined;
  featureKey: string | undefined;
  permissionObj: string | undefined;
  /** The permission's linked feature, as "feature:<key>", if it has one. */
  linkedObj: string | undefined;
  linkedKey: string | undefined;
  usage: number | undefined;
  method: string;
  path: string;
}

export interface CasbinBench {
  check(i: number): boolean;
  policies: number;
  links: number;
}

export async function buildCasbin(d: Derived, requests: readonly CheckRequest[]): Promise<CasbinBench> {
  const enforcer: Enforcer = await newEnforcer(newModelFromString(CASBIN_MODEL));
  const policies: string[][] = [];
  for (const [planKey, values] of d.planFeatures) {
    for (const [key, value] of values) {
      const feature = d.features.get(key);
      if (!feature || feature.archived || !grantsAccess(feature, value)) continue;
      policies.push([`plan:${planKey}`, `feature:${key}`, "use", "allow"]);
    }
  }
  for (const [role, permissions] of d.rolePermissions)
    for (const p of permissions) policies.push([`role:${role}`, `permission:${p}`, "perform", "allow"]);
  for (const f of d.features.values()) {
    if (f.archived) continue;
    policies.push([`grant:feature:${f.key}`, `feature:${f.key}`, "use", "allow"]);
    if (f.flagKey) policies.push([`flagoff:${f.key}`, `feature:${f.key}`, "use", "deny"]);
  }
  for (const p of d.permissionFeature.keys())
    policies.push([`grant:permission:${p}`, `permission:${p}`, "perform", "allow"]);

  /** Who exists: `tenant:<id>`, and `<tenantId> user:<id>` for each member. */
  const subjects = new Set<string>();
  /** Finite limits: per tenant, and per user where the user's own grant overrides the tenant's value. */
  const limits = new Map<string, Map<string, number>>();
  const links: string[][] = [];
  for (const t of d.tenants.values()) {
    const tenant = `tenant:${t.id}`;
    for (const plan of t.plans) links.push([tenant, `plan:${plan}`, t.id]);
    for (const key of t.grantedFeatures) links.push([tenant, `grant:feature:${key}`, t.id]);
    for (const p of t.grantedPermissions) links.push([tenant, `grant:permission:${p}`, t.id]);
    for (const key of t.flagOff) links.push([tenant, `flagoff:${key}`, t.id]);
    const tenantLimits = new Map<string, number>();
    for (const [key, value] of t.features) {
      if (d.features.get(key)?.type === "limit")
        tenantLimits.set(key, value === null ? Infinity : (value as number));
    }
    limits.set(tenant, tenantLimits);
    subjects.add(tenant);
    for (const [uid, u] of t.users) {
      const user = `user:${uid}`;
      subjects.add(`${t.id}\u0000${user}`);
      links.push([user, tenant, t.id]);
      for (const role of u.roles) links.push([user, `role:${role}`, t.id]);
      for (const p of u.grantedPermissions) links.push([user, `grant:permission:${p}`, t.id]);
      const userLimits = new Map<string, number>();
      for (const [key, value] of u.features) {
        links.push([user, `grant:feature:${key}`, t.id]);
        if (d.features.get(key)?.type === "limit")
          userLimits.set(key, value === null ? Infinity : (value as number));
      }
      if (userLimits.size > 0) limits.set(`${t.id}\u0000${user}`, userLimits);
    }
  }
  await enforcer.addPolicies(policies);
  await enforcer.addGroupingPolicies(links);

  const prepared: CasbinRequest[] = requests.map((r) => {
    const { tenantId, userId } = r.subject;
    const sub = userId === undefined ? `tenant:${tenantId}` : `user:${userId}`;
    const known = subjects.has(userId === undefined ? sub : `${tenantId}\u0000${sub}`);
    let featureKey = r.feature;
    let permission = r.permission;
    if (r.route) {
      const rule = d.router.match(r.route.method, r.route.path);
      featureKey = rule?.featureKey ?? undefined;
      permission = rule?.permissionKey ?? undefined;
    }
    const linkedKey = permission === undefined ? undefined : d.permissionFeature.get(permission);
    return {
      kind: r.feature !== undefined ? "feature" : r.permission !== undefined ? "permission" : "route",
      tenantId,
      sub,
      hasUser: userId !== undefined,
      known,
      featureObj: featureKey === undefined ? undefined : `feature:${featureKey}`,
      featureKey,
      permissionObj: permission === undefined ? undefined : `permission:${permission}`,
      linkedObj: linkedKey === undefined ? undefined : `feature:${linkedKey}`,
      linkedKey,
      usage: r.requestedUsage,
      method: r.route?.method ?? "",
      path: r.route?.path ?? "",
    };
  });

  const withinLimit = (req: CasbinRequest, key: string, usage: number | undefined): boolean => {
    if (usage === undefined) return true;
    const limit =
      (req.hasUser ? limits.get(`${req.tenantId}\u0000${req.sub}`)?.get(key) : undefined) ??
      limits.get(`tenant:${req.tenantId}`)?.get(key);
    return limit === undefined || usage <= limit;
  };
  const feature = (req: CasbinRequest, obj: string, key: string, usage: number | undefined) =>
    enforcer.enforceSync(req.sub, req.tenantId, obj, "use") && withinLimit(req, key, usage);
  const permission = (req: CasbinRequest) =>
    req.hasUser &&
    enforcer.enforceSync(req.sub, req.tenantId, req.permissionObj!, "perform") &&
    (req.linkedObj === undefined || feature(req, req.linkedObj, req.linkedKey!, undefined));

  return {
    policies: policies.length,
    links: links.length,
    check(i) {
      const req = prepared[i]!;
      if (req.kind === "feature") return feature(req, req.featureObj!, req.featureKey!, req.usage);
      if (req.kind === "permission") return permission(req);
      const rule = d.router.match(req.method, req.path);
      if (!rule) return false;
      if (rule.public) return req.known;
      if (!rule.featureKey && !rule.permissionKey) return false;
      if (rule.featureKey && !feature(req, req.featureObj!, req.featureKey!, req.usage)) return false;
      if (rule.permissionKey && !permission(req)) return false;
      return true;
    },
  };
}
