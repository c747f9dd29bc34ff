/**
 * A deterministic environment for the benchmarks: the same seed gives the same catalog, tenants and check
 * requests on every run and every machine. Tenant `i` is drawn from a generator seeded by `i` alone, so the
 * 1k data set is a prefix of the 10k one and of the 100k one: the sizes differ only in how many tenants
 * there are, never in what a tenant looks like.
 *
 * Times are relative to `anchor` (by default the start of the current UTC day), so trials, expiries and
 * future-dated subscriptions keep their meaning on whatever day the benchmark runs. Every boundary is at
 * least a day from the anchor: a run never crosses one.
 */
import type { CheckRequest } from "../packages/sdk/src/core/decision";
import type {
  EnvironmentState,
  Feature,
  FeatureValue,
  Flag,
  Grant,
  Membership,
  Permission,
  Plan,
  Role,
  RouteRule,
  Subscription,
  SubscriptionStatus,
  Tenant,
  User,
} from "../packages/sdk/src/core/types";
import { prng } from "../packages/sdk/test/random";

export const DAY = 86_400_000;
export const DEFAULT_SEED = 0x7e55e4a;

export function todayAnchor(now = Date.now()): number {
  return Math.floor(now / DAY) * DAY;
}

// ---------------------------------------------------------------------------------------------------------
// Seeded randomness

// mulberry32, shared with the randomized tests: tiny, fast, and good enough to pick plans and users.
export { prng };

/** A seed for item `i` of stream `stream`, well spread even for neighbouring `i`. */
function seedFor(seed: number, stream: number, i: number): number {
  let h = Math.imul(seed ^ Math.imul(stream, 0x85ebca6b), 0xc2b2ae35) ^ Math.imul(i + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

type Rng = () => number;

const int = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

/** Picks by weight: `[[value, weight], …]`. */
function weighted<T>(rng: Rng, table: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, w] of table) total += w;
  let x = rng() * total;
  for (const [value, w] of table) {
    x -= w;
    if (x < 0) return value;
  }
  return table[table.length - 1]![0];
}

// ---------------------------------------------------------------------------------------------------------
// Catalog: fixed, the same at every size

const BOOLEAN_FEATURES = [
  "sso",
  "audit-log",
  "custom-domain",
  "api-access",
  "webhooks",
  "priority-support",
  "export-csv",
  "export-pdf",
  "dashboards",
  "advanced-reports",
  "scim",
  "ip-allowlist",
  "data-residency",
  "custom-roles",
  "workflows",
  "integrations.slack",
  "integrations.jira",
  "integrations.salesforce",
  "white-label",
  "sandbox",
  "beta.ai-assistant",
  "beta.new-editor",
  "mobile-app",
  "offline-mode",
  "approvals",
  "comments",
  "versioning",
  "templates",
  "automation",
  "analytics",
] as const;

/** Limit features and their value in each base plan (free, starter, pro, enterprise); null is unlimited. */
const LIMIT_FEATURES: readonly [key: string, period: Feature["resetPeriod"], values: (number | null)[]][] = [
  ["seats", null, [3, 10, 50, null]],
  ["projects", null, [2, 20, 200, null]],
  ["api-calls", "month", [1_000, 50_000, 1_000_000, null]],
  ["storage-gb", null, [1, 50, 500, 5_000]],
  ["webhooks.endpoints", null, [0, 5, 50, null]],
  ["automation-runs", "month", [0, 500, 10_000, 100_000]],
  ["exports", "day", [0, 10, 100, null]],
  ["ai-credits", "month", [0, 0, 1_000, 20_000]],
  ["environments", null, [1, 2, 5, null]],
  ["custom-fields", null, [5, 25, 100, 1_000]],
  ["dashboards.count", null, [0, 3, 25, null]],
  ["guests", null, [0, 5, 50, 500]],
];

/** Config features and their value in each base plan; undefined leaves the feature out of the plan. */
const CONFIG_FEATURES: readonly [key: string, values: (FeatureValue | undefined)[]][] = [
  ["theme", ["basic", "basic", { brand: true }, { brand: true, css: true }]],
  ["support-tier", ["community", "email", "priority", "dedicated"]],
  ["retention-days", [7, 30, 365, 2_555]],
  ["region-options", [["us"], ["us", "eu"], ["us", "eu"], ["us", "eu", "apac"]]],
  ["sla", [undefined, undefined, "99.9", "99.99"]],
  ["branding", [undefined, { logo: true }, { logo: true, colors: true }, { logo: true, colors: true }]],
  ["rate-limit-tier", ["low", "standard", "high", "custom"]],
  ["report-schedule", [undefined, "weekly", "daily", "hourly"]],
];

/** The lowest base plan (0 free … 3 enterprise) that includes each boolean feature; 4 for add-on only. */
const BOOLEAN_TIER: Record<(typeof BOOLEAN_FEATURES)[number], number> = {
  sso: 3,
  "audit-log": 3,
  "custom-domain": 2,
  "api-access": 1,
  webhooks: 1,
  "priority-support": 2,
  "export-csv": 0,
  "export-pdf": 1,
  dashboards: 1,
  "advanced-reports": 4,
  scim: 3,
  "ip-allowlist": 3,
  "data-residency": 2,
  "custom-roles": 2,
  workflows: 2,
  "integrations.slack": 0,
  "integrations.jira": 1,
  "integrations.salesforce": 2,
  "white-label": 3,
  sandbox: 2,
  "beta.ai-assistant": 2,
  "beta.new-editor": 0,
  "mobile-app": 0,
  "offline-mode": 1,
  approvals: 2,
  comments: 0,
  versioning: 1,
  templates: 0,
  automation: 1,
  analytics: 4,
};

const FLAG_GATES: Record<string, string> = {
  "beta.ai-assistant": "ai-assistant-rollout",
  "beta.new-editor": "new-editor",
  workflows: "workflows-kill-switch",
  "data-residency": "eu-only",
  "mobile-app": "mobile-app-enabled",
};

const BASE_PLANS = ["free", "starter", "pro", "enterprise"] as const;
const ADD_ONS = ["addon-analytics", "addon-storage", "addon-security"] as const;

function features(): Feature[] {
  const out: Feature[] = [];
  for (const key of BOOLEAN_FEATURES) {
    out.push({
      key,
      name: key,
      type: "boolean",
      flagKey: FLAG_GATES[key] ?? null,
      archived: key === "offline-mode" ? true : undefined,
    });
  }
  for (const [key, period] of LIMIT_FEATURES)
    out.push({ key, name: key, type: "limit", resetPeriod: period ?? null });
  for (const [key] of CONFIG_FEATURES) out.push({ key, name: key, type: "config" });
  return out;
}

function plans(): Plan[] {
  const out: Plan[] = BASE_PLANS.map((key, tier) => {
    const planFeatures: Record<string, FeatureValue> = {};
    for (const f of BOOLEAN_FEATURES) {
      const from = BOOLEAN_TIER[f];
      // Lower tiers list some features as explicitly off: "in the catalog, not in your plan".
      if (tier >= from) planFeatures[f] = true;
      else if (from < 4 && tier === from - 1) planFeatures[f] = false;
    }
    for (const [f, , values] of LIMIT_FEATURES) planFeatures[f] = values[tier]!;
    for (const [f, values] of CONFIG_FEATURES) {
      const value = values[tier];
      if (value !== undefined) planFeatures[f] = value;
    }
    return { key, name: key, kind: "base", trialDays: tier === 2 ? 14 : null, features: planFeatures };
  });
  out.push(
    {
      key: "addon-analytics",
      name: "Analytics",
      kind: "addon",
      features: { "advanced-reports": true, analytics: true, dashboards: true, "dashboards.count": 20 },
    },
    {
      key: "addon-storage",
      name: "Storage",
      kind: "addon",
      features: { "storage-gb": 500, "api-calls": 100_000 },
    },
    {
      key: "addon-security",
      name: "Security",
      kind: "addon",
      features: { sso: true, "audit-log": true, "ip-allowlist": true, scim: true },
    },
  );
  return out;
}

const PERMISSIONS: readonly [key: string, featureKey?: string][] = [
  ["invoices.read"],
  ["invoices.write"],
  ["invoices.delete"],
  ["projects.read"],
  ["projects.write"],
  ["projects.delete"],
  ["projects.admin"],
  ["reports.read"],
  ["reports.export", "export-csv"],
  ["users.read"],
  ["users.invite"],
  ["users.remove"],
  ["billing.read"],
  ["billing.manage"],
  ["settings.read"],
  ["settings.write"],
  ["audit.read", "audit-log"],
  ["api-keys.read"],
  ["api-keys.create", "api-access"],
  ["api-keys.revoke"],
  ["webhooks.read"],
  ["webhooks.manage", "webhooks"],
  ["integrations.manage", "integrations.slack"],
  ["automation.read"],
  ["automation.run", "automation"],
  ["automation.manage", "workflows"],
  ["exports.run", "exports"],
  ["roles.manage", "custom-roles"],
  ["sso.configure", "sso"],
  ["dashboards.share", "dashboards"],
];

function permissions(): Permission[] {
  return PERMISSIONS.map(([key, featureKey]) => ({ key, name: key, featureKey: featureKey ?? null }));
}

function roles(): Role[] {
  const role = (key: string, permissionKeys: string[], includes: string[] = []): Role => ({
    key,
    name: key,
    permissions: permissionKeys,
    includes,
  });
  return [
    role("viewer", [
      "invoices.read",
      "projects.read",
      "reports.read",
      "users.read",
      "settings.read",
      "webhooks.read",
      "automation.read",
    ]),
    role(
      "member",
      ["projects.write", "invoices.write", "reports.export", "automation.run", "dashboards.share"],
      ["viewer"],
    ),
    role("editor", ["projects.delete", "webhooks.manage", "exports.run", "automation.manage"], ["member"]),
    role("billing", ["billing.read", "billing.manage", "invoices.read", "invoices.write", "invoices.delete"]),
    role(
      "admin",
      [
        "users.invite",
        "users.remove",
        "settings.write",
        "api-keys.read",
        "api-keys.create",
        "api-keys.revoke",
        "integrations.manage",
        "roles.manage",
      ],
      ["editor", "billing"],
    ),
    role("owner", ["sso.configure", "projects.admin"], ["admin"]),
    role("auditor", ["audit.read"], ["viewer"]),
    role("support", ["users.read", "settings.read", "audit.read"]),
  ];
}

function flags(): Flag[] {
  return [
    {
      key: "ai-assistant-rollout",
      enabled: true,
      rules: [{ conditions: [{ attribute: "tenant.plan", operator: "in", values: ["enterprise"] }] }],
      rollout: 30,
      default: false,
    },
    { key: "new-editor", enabled: true, rollout: 50, default: false },
    { key: "workflows-kill-switch", enabled: true, default: true },
    {
      key: "eu-only",
      enabled: true,
      rules: [{ conditions: [{ attribute: "tenant.region", operator: "eq", values: ["eu"] }] }],
      default: false,
    },
    // Switched off: every tenant is denied the mobile app, whatever its plan.
    { key: "mobile-app-enabled", enabled: false, default: true },
  ];
}

/** The route rules, and how to make a concrete path for each (the benchmark's "requests"). */
const ROUTES: readonly [
  method: string,
  path: string,
  require: { featureKey?: string; permissionKey?: string; public?: boolean },
  example: (rng: Rng) => string,
][] = [
  ["GET", "/v1/projects", { permissionKey: "projects.read" }, () => "/v1/projects"],
  ["POST", "/v1/projects", { permissionKey: "projects.write" }, () => "/v1/projects"],
  [
    "GET",
    "/v1/projects/{projectId}",
    { permissionKey: "projects.read" },
    (r) => `/v1/projects/p${int(r, 1, 999)}`,
  ],
  [
    "DELETE",
    "/v1/projects/{projectId}",
    { permissionKey: "projects.delete" },
    (r) => `/v1/projects/p${int(r, 1, 999)}`,
  ],
  ["GET", "/v1/invoices", { permissionKey: "invoices.read" }, () => "/v1/invoices?status=open"],
  [
    "GET",
    "/v1/invoices/{invoiceId}",
    { permissionKey: "invoices.read" },
    (r) => `/v1/invoices/in_${int(r, 1, 9e5)}`,
  ],
  [
    "POST",
    "/v1/invoices/{invoiceId}:send",
    { permissionKey: "invoices.write" },
    (r) => `/v1/invoices/in_${int(r, 1, 9e5)}:send`,
  ],
  [
    "GET",
    "/v1/reports/{reportId}/export",
    { featureKey: "export-csv", permissionKey: "reports.export" },
    (r) => `/v1/reports/r${int(r, 1, 99)}/export`,
  ],
  [
    "GET",
    "/v1/reports/{reportId}.pdf",
    { featureKey: "export-pdf" },
    (r) => `/v1/reports/r${int(r, 1, 99)}.pdf`,
  ],
  ["GET", "/v1/dashboards", { featureKey: "dashboards" }, () => "/v1/dashboards"],
  [
    "POST",
    "/v1/webhooks",
    { featureKey: "webhooks", permissionKey: "webhooks.manage" },
    () => "/v1/webhooks",
  ],
  ["GET", "/v1/audit-log", { featureKey: "audit-log", permissionKey: "audit.read" }, () => "/v1/audit-log"],
  ["POST", "/v1/ai/complete", { featureKey: "beta.ai-assistant" }, () => "/v1/ai/complete"],
  ["GET", "/v1/sso/config", { permissionKey: "sso.configure" }, () => "/v1/sso/config"],
  ["GET", "/v1/health", { public: true }, () => "/v1/health"],
  ["GET", "/docs/{path+}", { public: true }, (r) => `/docs/guides/page-${int(r, 1, 50)}`],
  ["GET", "/v1/usage", { featureKey: "api-calls" }, () => "/v1/usage"],
  ["POST", "/v1/exports", { featureKey: "exports", permissionKey: "exports.run" }, () => "/v1/exports"],
  ["GET", "/v1/users/me", { permissionKey: "users.read" }, () => "/v1/users/me"],
  ["GET", "/v1/users/{userId}", { permissionKey: "users.read" }, (r) => `/v1/users/u${int(r, 1, 9999)}`],
  [
    "*",
    "/v1/integrations/{name}/{rest+}",
    { featureKey: "integrations.slack" },
    (r) => `/v1/integrations/slack/channels/c${int(r, 1, 99)}`,
  ],
];

function routes(): RouteRule[] {
  return ROUTES.map(([method, path, require], i) => ({ id: `route_${i}`, method, path, ...require }));
}

// ---------------------------------------------------------------------------------------------------------
// Tenants and everything hanging off them

const tenantId = (i: number) => `tnt_${i}`;
const userId = (i: number, j: number) => `usr_${i}_${j}`;

const ROLE_SETS: readonly (readonly [string[], number])[] = [
  [["viewer"], 25],
  [["member"], 30],
  [["editor"], 12],
  [["admin"], 8],
  [["owner"], 5],
  [["billing"], 5],
  [["member", "billing"], 5],
  [["auditor"], 4],
  [["support"], 3],
  [["viewer", "auditor"], 3],
];

interface TenantData {
  tenant: Tenant;
  users: User[];
  memberships: Membership[];
  subscription: Subscription;
  grants: Grant[];
}

function tenantData(seed: number, i: number, anchor: number): TenantData {
  const rng = prng(seedFor(seed, 1, i));
  const id = tenantId(i);
  const iso = (days: number) => new Date(anchor + days * DAY + int(rng, 1, 3_600) * 1000).toISOString();
  const tenant: Tenant = {
    id,
    name: `Tenant ${i}`,
    attributes: {
      region: weighted(rng, [
        ["us", 5],
        ["eu", 3],
        ["apac", 2],
      ]),
      employees: int(rng, 1, 5_000),
    },
  };

  const planKey = weighted(rng, [
    ["free", 40],
    ["starter", 30],
    ["pro", 20],
    ["enterprise", 10],
  ] as const);
  const addOns = rng() < 0.25 ? ADD_ONS.filter(() => rng() < 0.45) : [];
  const status = weighted<SubscriptionStatus | "future">(rng, [
    ["active", 78],
    ["trialing", 8],
    ["past_due", 2],
    ["canceled", 4],
    ["expired", 5],
    ["future", 3],
  ]);
  const subscription: Subscription = {
    id: `sub_${i}`,
    tenantId: id,
    planKey,
    addOns: addOns.length > 0 ? [...addOns] : undefined,
    status: status === "future" ? "active" : status,
    startAt: status === "future" ? iso(int(rng, 2, 30)) : iso(-int(rng, 20, 700)),
    endAt:
      status === "expired"
        ? iso(-int(rng, 2, 15))
        : status === "canceled"
          ? // Canceled at period end: about half are still in their last period.
            iso(rng() < 0.5 ? int(rng, 2, 25) : -int(rng, 2, 15))
          : null,
    // Trials: most still running, some ran out without converting.
    trialEndAt: status === "trialing" ? iso(rng() < 0.7 ? int(rng, 2, 14) : -int(rng, 2, 10)) : null,
    externalKey: `cus_${i}`,
  };

  const users: User[] = [];
  const memberships: Membership[] = [];
  const userCount = weighted(rng, [
    [0, 15],
    [1, 35],
    [2, 30],
    [3, 20],
  ]);
  for (let j = 0; j < userCount; j++) {
    const uid = userId(i, j);
    users.push({ id: uid, email: `${uid}@example.com`, attributes: { beta: rng() < 0.2 } });
    memberships.push({ tenantId: id, userId: uid, roles: [...weighted(rng, ROLE_SETS)] });
  }

  const grants: Grant[] = [];
  const grantCount = rng() < 0.3 ? int(rng, 1, 3) : 0;
  for (let k = 0; k < grantCount; k++) {
    const g: Grant = { id: `grt_${i}_${k}`, tenantId: id };
    const kind = rng();
    if (kind < 0.45) {
      g.featureKey = pick(rng, BOOLEAN_FEATURES);
    } else if (kind < 0.7) {
      const [key, , values] = pick(rng, LIMIT_FEATURES);
      g.featureKey = key;
      // Grants raise a limit (or lift it); none of them lowers one.
      g.value = rng() < 0.3 ? null : (values[3] ?? 1_000_000) * 2;
    } else if (kind < 0.85) {
      g.permissionKey = pick(rng, PERMISSIONS)[0];
    } else {
      g.featureKey = pick(rng, ["sso", "audit-log", "webhooks", "api-access", "workflows"]);
    }
    // A quarter of the grants are for one user rather than the whole tenant.
    if (users.length > 0 && rng() < 0.25) g.userId = pick(rng, users).id;
    const when = rng();
    if (when < 0.25) g.expiresAt = iso(-int(rng, 2, 90));
    else if (when < 0.55) g.expiresAt = iso(int(rng, 2, 120));
    else if (when < 0.6) g.startAt = iso(int(rng, 2, 30));
    grants.push(g);
  }
  return { tenant, users, memberships, subscription, grants };
}

export interface DataOptions {
  tenants: number;
  seed?: number | undefined;
  anchor?: number | undefined;
}

/** The catalog alone (features, permissions, roles, plans, flags, routes), at revision 1. */
export function generateCatalog(): Omit<
  EnvironmentState,
  "tenants" | "users" | "memberships" | "subscriptions" | "grants"
> {
  return {
    revision: 1,
    features: features(),
    permissions: permissions(),
    roles: roles(),
    plans: plans(),
    flags: flags(),
    routes: routes(),
  };
}

export function generateState(options: DataOptions): EnvironmentState {
  const seed = options.seed ?? DEFAULT_SEED;
  const anchor = options.anchor ?? todayAnchor();
  const state: EnvironmentState = {
    ...generateCatalog(),
    tenants: [],
    users: [],
    memberships: [],
    subscriptions: [],
    grants: [],
  };
  for (let i = 0; i < options.tenants; i++) {
    const t = tenantData(seed, i, anchor);
    state.tenants.push(t.tenant);
    state.users.push(...t.users);
    state.memberships.push(...t.memberships);
    state.subscriptions.push(t.subscription);
    state.grants.push(...t.grants);
  }
  return state;
}

// ---------------------------------------------------------------------------------------------------------
// Check requests

export interface RequestOptions {
  count: number;
  seed?: number | undefined;
}

/** Mix: ~60% feature, ~25% permission, ~15% route, over random tenants, with a share of bad subjects/keys. */
export function generateRequests(state: EnvironmentState, options: RequestOptions): CheckRequest[] {
  const rng = prng(seedFor(options.seed ?? DEFAULT_SEED, 2, 0));
  const n = state.tenants.length;
  const usersOf = new Map<string, string[]>();
  for (const m of state.memberships) {
    const list = usersOf.get(m.tenantId);
    if (list) list.push(m.userId);
    else usersOf.set(m.tenantId, [m.userId]);
  }
  const featureList = state.features;
  const permissionList = state.permissions.map((p) => p.key);

  const randomTenant = () => state.tenants[Math.floor(rng() * n)]!.id;
  /**
   * A subject with a user: mostly a member of the tenant, sometimes a stranger or nobody we know. A tenant
   * without users gives a tenant-only subject, unless the question needs a user (a permission always does).
   */
  const withUser = (tid: string, required = false): CheckRequest["subject"] => {
    const x = rng();
    if (x < 0.005) return { tenantId: tid, userId: "usr_nobody" };
    if (x < 0.035) {
      const other = usersOf.get(randomTenant());
      if (other) return { tenantId: tid, userId: pick(rng, other) };
    }
    const own = usersOf.get(tid);
    if (own) return { tenantId: tid, userId: pick(rng, own) };
    return required ? { tenantId: tid, userId: "usr_nobody" } : { tenantId: tid };
  };
  /** A tenant that has users, for permission checks; most tenants do. */
  const tenantWithUsers = () => {
    for (let tries = 0; tries < 8; tries++) {
      const tid = randomTenant();
      if (usersOf.has(tid)) return tid;
    }
    return randomTenant();
  };

  const out: CheckRequest[] = [];
  for (let k = 0; k < options.count; k++) {
    const kind = rng();
    const unknownTenant = rng() < 0.01;
    if (kind < 0.6) {
      const tid = unknownTenant ? `tnt_missing_${k}` : randomTenant();
      const subject = rng() < 0.3 ? withUser(tid) : { tenantId: tid };
      if (rng() < 0.02) {
        out.push({ subject, feature: "no-such-feature" });
        continue;
      }
      const feature = pick(rng, featureList);
      const request: CheckRequest = { subject, feature: feature.key };
      if (feature.type === "limit" && rng() < 0.3) request.requestedUsage = int(rng, 1, 60) ** 3;
      out.push(request);
    } else if (kind < 0.85) {
      const tid = unknownTenant ? `tnt_missing_${k}` : tenantWithUsers();
      const permission = rng() < 0.02 ? "no.such-permission" : pick(rng, permissionList);
      out.push({ subject: withUser(tid, true), permission });
    } else {
      const tid = unknownTenant ? `tnt_missing_${k}` : tenantWithUsers();
      const x = rng();
      if (x < 0.05) {
        out.push({ subject: { tenantId: tid }, route: { method: "GET", path: `/v1/unknown/${k}` } });
        continue;
      }
      const [method, , require, example] = pick(rng, ROUTES);
      const path = example(rng);
      // A few requests use a method the route does not serve.
      const used = method === "*" ? pick(rng, ["GET", "POST"]) : x < 0.08 ? "PATCH" : method;
      const subject = require.permissionKey || rng() < 0.5 ? withUser(tid) : { tenantId: tid };
      out.push({ subject, route: { method: used, path } });
    }
  }
  // Through JSON and back: the strings are then new objects, as in a request a server has just parsed, and
  // not the very strings the snapshot's maps hold as keys.
  return JSON.parse(JSON.stringify(out)) as CheckRequest[];
}

/** What a request asks, in one word: for summaries. */
export function requestKind(r: CheckRequest): "feature" | "permission" | "route" {
  return r.feature !== undefined ? "feature" : r.permission !== undefined ? "permission" : "route";
}
