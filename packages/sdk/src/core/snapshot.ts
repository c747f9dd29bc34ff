import { type Catalog, type CatalogSource, compileCatalog } from "./catalog";
import type { DecisionSource } from "./decision";
import { type Effective, effectiveAt } from "./effective";
import { Grouped } from "./grouped";
import type { RelationEngine } from "./relations";
import { TenantIndex } from "./tenant-index";
import type {
  ApiAccess,
  EnvironmentState,
  FeatureValue,
  Grant,
  Membership,
  Subscription,
  SubscriptionStatus,
  Tenant,
  User,
} from "./types";

export interface CompiledSubscription {
  id: string;
  planKey: string;
  addOns: string[];
  status: SubscriptionStatus;
  start: number;
  end: number | undefined;
  trialEnd: number | undefined;
}

export interface CompiledGrant {
  id: string;
  featureKey: string | undefined;
  value: FeatureValue | undefined;
  permissionKey: string | undefined;
  apiAccess: ApiAccess | undefined;
  start: number | undefined;
  end: number | undefined;
}

/** A user as a member of one tenant: everything a decision about that user reads, in one lookup. */
export interface Member {
  user: User;
  /** Role keys the user holds in this tenant. */
  roles: readonly string[];
  /** The same roles as an id in Snapshot.roleSets, shared by every member who holds exactly these. */
  roleSet: number;
  /** Grants to this user in this tenant. */
  grants: readonly CompiledGrant[];
}

/** Everything about one tenant a decision reads, rebuilt whenever one of its records changes. */
export interface TenantEntry {
  tenant: Tenant;
  subscriptions: CompiledSubscription[];
  /** Grants to the whole tenant. */
  grants: readonly CompiledGrant[];
  /** Grants to single users of the tenant. */
  userGrants: ReadonlyMap<string, CompiledGrant[]>;
  /** userId → the user's membership; only users that exist. */
  members: ReadonlyMap<string, Member>;
  /**
   * The tenant's effective entitlements and the window [memoFrom, memoUntil) they hold for, computed under
   * catalog generation memoGeneration; see effective.ts. The evaluator reads the copy in the tenant index
   * (tenant-index.ts), and comes here only when that copy does not hold; lookups read this one.
   */
  memo: Effective | undefined;
  memoGeneration: number;
  memoFrom: number;
  memoUntil: number;
}

export type ResourceKind =
  | "feature"
  | "permission"
  | "role"
  | "plan"
  | "flag"
  | "route"
  | "api"
  | "tenant"
  | "user"
  | "membership"
  | "subscription"
  | "grant";

/** One write, as the change records carry it: `before` absent for a create, `after` absent for a delete. */
export interface Change {
  kind: ResourceKind;
  before?: unknown;
  after?: unknown;
}

const CATALOG_KINDS = {
  feature: "features",
  permission: "permissions",
  role: "roles",
  plan: "plans",
  flag: "flags",
  route: "routes",
  api: "apis",
} as const satisfies Partial<Record<ResourceKind, keyof CatalogSource>>;

type CatalogKind = keyof typeof CATALOG_KINDS;

function isCatalogKind(kind: ResourceKind): kind is CatalogKind {
  return kind in CATALOG_KINDS;
}

/**
 * The compiled state the evaluator reads. Writes reach it through `apply`, which runs synchronously:
 * JavaScript never interleaves it with a decision, so every decision sees one whole revision. The catalog
 * is recompiled whole on a catalog change (it is small); a subject change rebuilds only its tenant's entry,
 * so the cost of a write does not grow with the number of tenants.
 */
export class Snapshot {
  revision: number;
  catalog: Catalog;
  readonly tenants = new Map<string, TenantEntry>();
  readonly users = new Map<string, User>();
  /** The tenants again, laid out for the evaluator's hot path (see tenant-index.ts); rebuilt with each entry. */
  readonly index = new TenantIndex<Member>();
  /** Every distinct set of role keys members hold, by id; members refer to theirs by id. */
  readonly roleSets: (readonly string[])[] = [];
  /** The relationship engine, when the environment has a model; entity checks read it. */
  relations: RelationEngine | undefined;

  private readonly catalogSource: {
    [K in CatalogKind]: Map<string, NonNullable<CatalogSource[(typeof CATALOG_KINDS)[K]]>[number]>;
  };
  private readonly tenantRecords = new Map<string, Tenant>();
  /** By tenant: its subscriptions by id, its grants by id, its memberships by user id. */
  private readonly subscriptions = new Grouped<Subscription>((s) => s.id);
  private readonly grants = new Grouped<Grant>((g) => g.id);
  private readonly memberships = new Grouped<Membership>((m) => m.userId);
  /**
   * Every subscription by its id and by its external key, for the seed's query (`subscription`): a scan of
   * all of them took about 9 ms at 100k tenants, in which the process answered nothing else.
   */
  private readonly subscriptionsById = new Map<string, Subscription>();
  private readonly subscriptionsByExternalKey = new Map<string, Subscription>();
  /** By user: the tenants the user is a member of, so a change to the user rebuilds those entries. */
  private readonly userTenants = new Grouped<string>((tenantId) => tenantId);
  private readonly roleSetIds = new Map<string, number>();
  /**
   * By role set id: every permission its roles carry, with the role a decision names as its source (the
   * first role in the set that carries it, as a walk over the roles would find). One lookup answers a
   * permission check instead of two per role. Filled as decisions ask, for one catalog generation.
   */
  private roleSetPermissions: (ReadonlyMap<string, DecisionSource> | undefined)[] = [];
  private roleSetPermissionsGeneration = -1;
  /** By tenant: the lines of unreadableRecords(), kept in step as each tenant is rebuilt. */
  private readonly unreadable = new Map<string, string[]>();

  private constructor(state: EnvironmentState) {
    this.revision = state.revision;
    this.catalogSource = {
      feature: new Map(state.features.map((x) => [x.key, x])),
      permission: new Map(state.permissions.map((x) => [x.key, x])),
      role: new Map(state.roles.map((x) => [x.key, x])),
      plan: new Map(state.plans.map((x) => [x.key, x])),
      flag: new Map(state.flags.map((x) => [x.key, x])),
      route: new Map(state.routes.map((x) => [x.id, x])),
      api: new Map((state.apis ?? []).map((x) => [x.key, x])),
    };
    this.catalog = compileCatalog(this.catalogArrays(), 1);
    for (const user of state.users) this.users.set(user.id, user);
    for (const tenant of state.tenants) this.tenantRecords.set(tenant.id, tenant);
    for (const s of state.subscriptions) {
      this.subscriptions.set(s.tenantId, s);
      this.rememberSubscription(s);
    }
    for (const g of state.grants) this.grants.set(g.tenantId, g);
    for (const m of state.memberships) {
      this.memberships.set(m.tenantId, m);
      this.userTenants.set(m.userId, m.tenantId);
    }
    for (const id of this.tenantRecords.keys()) this.rebuildTenant(id);
  }

  static compile(state: EnvironmentState): Snapshot {
    return new Snapshot(state);
  }

  /** Applies the changes of one write and moves to its revision. */
  apply(changes: readonly Change[], revision: number): void {
    let catalogChanged = false;
    const touched = new Set<string>();
    for (const change of changes) {
      if (isCatalogKind(change.kind)) {
        catalogChanged = true;
        this.applyCatalog(change.kind, change);
      } else {
        this.applySubject(change, touched);
      }
    }
    if (catalogChanged) this.catalog = compileCatalog(this.catalogArrays(), this.catalog.generation + 1);
    for (const id of touched) this.rebuildTenant(id);
    this.revision = Math.max(this.revision, revision);
  }

  /**
   * The scopes of an API the tenant is entitled to, sorted; empty for an unknown tenant or API. At `at`, or
   * now; `live`: `at` is a reading of the clock all the same (see effectiveWindow).
   */
  entitledScopes(tenantId: string, apiKey: string, at?: number, live = at === undefined): string[] {
    const entry = this.tenants.get(tenantId);
    if (!entry) return [];
    return [...(effectiveAt(this.catalog, entry, at ?? Date.now(), live).scopes.get(apiKey) ?? [])].sort();
  }

  /** A subscription by its id or, failing that, by its external key. */
  subscription(idOrExternalKey: string): Subscription | undefined {
    return (
      this.subscriptionsById.get(idOrExternalKey) ?? this.subscriptionsByExternalKey.get(idOrExternalKey)
    );
  }

  /**
   * The subscriptions and grants that grant nothing because a stored time of theirs cannot be read, one
   * line each (what, whose, which field and value), for whoever runs the server to correct.
   */
  unreadableRecords(): string[] {
    return [...this.unreadable.values()].flat();
  }

  /** The raw state, for an SDK that evaluates in-process, or a test. */
  toState(): EnvironmentState {
    return {
      revision: this.revision,
      ...this.catalogArrays(),
      tenants: [...this.tenantRecords.values()],
      users: [...this.users.values()],
      memberships: this.memberships.all(),
      subscriptions: this.subscriptions.all(),
      grants: this.grants.all(),
    };
  }

  /**
   * The catalog by key (routes by id), as the management API lists it and as a server loads it: what
   * decisions list (the plans and roles of a remediation, a lookup's features and permissions) then comes in
   * one order from a server just started and from one that has taken a year of writes, where an update used
   * to move its item to the end.
   */
  private catalogArrays(): CatalogSource {
    const s = this.catalogSource;
    return {
      features: byIdentity(s.feature),
      permissions: byIdentity(s.permission),
      roles: byIdentity(s.role),
      plans: byIdentity(s.plan),
      flags: byIdentity(s.flag),
      routes: byIdentity(s.route),
      apis: byIdentity(s.api),
    };
  }

  private applyCatalog(kind: CatalogKind, change: Change): void {
    const map = this.catalogSource[kind] as Map<string, unknown>;
    const identity = (value: unknown) =>
      kind === "route" ? (value as { id: string }).id : (value as { key: string }).key;
    if (change.before !== undefined) map.delete(identity(change.before));
    if (change.after !== undefined) map.set(identity(change.after), change.after);
  }

  private applySubject(change: Change, touched: Set<string>): void {
    const before = change.before as Record<string, unknown> | undefined;
    const after = change.after as Record<string, unknown> | undefined;
    switch (change.kind) {
      case "user": {
        const id = (before ?? after)?.id as string;
        if (before) this.users.delete(id);
        if (after) this.users.set(id, after as unknown as User);
        // Member records hold the user itself: rebuild the entries of every tenant it belongs to.
        for (const tenantId of this.userTenants.values(id)) touched.add(tenantId);
        return;
      }
      case "tenant": {
        if (before) {
          this.tenantRecords.delete(before.id as string);
          touched.add(before.id as string);
        }
        if (after) {
          this.tenantRecords.set(after.id as string, after as unknown as Tenant);
          touched.add(after.id as string);
        }
        return;
      }
      case "subscription":
      case "grant":
      case "membership": {
        const records = (
          change.kind === "subscription"
            ? this.subscriptions
            : change.kind === "grant"
              ? this.grants
              : this.memberships
        ) as Grouped<TenantRecord>;
        const membership = change.kind === "membership";
        const subscription = change.kind === "subscription";
        if (before) {
          const record = before as unknown as TenantRecord;
          records.delete(record.tenantId, records.keyOf(record));
          if (membership) this.userTenants.delete(record.userId!, record.tenantId);
          if (subscription) this.forgetSubscription(before as unknown as Subscription);
          touched.add(record.tenantId);
        }
        if (after) {
          const record = after as unknown as TenantRecord;
          records.set(record.tenantId, record);
          if (membership) this.userTenants.set(record.userId!, record.tenantId);
          if (subscription) this.rememberSubscription(after as unknown as Subscription);
          touched.add(record.tenantId);
        }
        return;
      }
      default:
        // Kinds the entitlement evaluator does not read (relationships, credentials) pass by.
        return;
    }
  }

  private rememberSubscription(s: Subscription): void {
    this.subscriptionsById.set(s.id, s);
    if (s.externalKey != null) this.subscriptionsByExternalKey.set(s.externalKey, s);
  }

  /**
   * The external key only while it still points at this subscription: within one write, another
   * subscription may have taken it over before this one's change is applied.
   */
  private forgetSubscription(s: Subscription): void {
    this.subscriptionsById.delete(s.id);
    const key = s.externalKey;
    if (key != null && this.subscriptionsByExternalKey.get(key)?.id === s.id)
      this.subscriptionsByExternalKey.delete(key);
  }

  private rebuildTenant(id: string): void {
    const tenant = this.tenantRecords.get(id);
    if (!tenant) {
      this.tenants.delete(id);
      this.index.delete(id);
      this.unreadable.delete(id);
      return;
    }
    const problems: string[] = [];
    const grants: CompiledGrant[] = [];
    let userGrants: Map<string, CompiledGrant[]> | undefined;
    for (const grant of this.grants.values(id)) {
      const compiled = compileGrant(grant, problems);
      if (compiled === undefined) continue;
      if (grant.userId) {
        userGrants ??= new Map();
        const list = userGrants.get(grant.userId);
        if (list) list.push(compiled);
        else userGrants.set(grant.userId, [compiled]);
      } else {
        grants.push(compiled);
      }
    }
    // In one order whatever order the records came in (a load reads them by id, applied writes come as
    // written): where two grants or subscriptions give one config value, the later one wins, and that must
    // not depend on whether this server loaded or followed the writes.
    grants.sort(byStartThenId);
    if (userGrants) for (const list of userGrants.values()) list.sort(byStartThenId);
    let members: Map<string, Member> | undefined;
    for (const m of this.memberships.values(id)) {
      const user = this.users.get(m.userId);
      if (user) {
        const grants = userGrants?.get(m.userId) ?? NO_GRANTS;
        members ??= new Map();
        members.set(m.userId, { user, roles: m.roles, roleSet: this.roleSetOf(m.roles), grants });
      }
    }
    const entry: TenantEntry = {
      // Doubles from the start (NaN matches nothing), so the fields never change representation.
      memoGeneration: -1,
      memoFrom: Number.NaN,
      memoUntil: Number.NaN,
      memo: undefined,
      tenant,
      subscriptions: Array.from(this.subscriptions.values(id), (s) => compileSubscription(s, problems)).sort(
        byStartThenId,
      ),
      grants: grants.length > 0 ? grants : NO_GRANTS,
      userGrants: userGrants ?? NO_USER_GRANTS,
      members: members ?? NO_MEMBERS,
    };
    this.tenants.set(id, entry);
    this.index.set(entry, entry.members);
    if (problems.length > 0) this.unreadable.set(id, problems);
    else this.unreadable.delete(id);
  }

  /** What the roles of a role set (Snapshot.roleSets) give: permission → the role that gives it. */
  permissionsOfRoleSet(id: number): ReadonlyMap<string, DecisionSource> {
    const { catalog } = this;
    if (this.roleSetPermissionsGeneration !== catalog.generation) {
      this.roleSetPermissions = Array.from({ length: this.roleSets.length });
      this.roleSetPermissionsGeneration = catalog.generation;
    }
    let permissions = this.roleSetPermissions[id];
    if (permissions === undefined) {
      const built = new Map<string, DecisionSource>();
      for (const roleKey of this.roleSets[id]!) {
        const role = catalog.roles.get(roleKey);
        if (!role) continue;
        for (const key of role.permissions) if (!built.has(key)) built.set(key, role.source);
      }
      permissions = built.size > 0 ? built : NO_PERMISSIONS;
      this.roleSetPermissions[id] = permissions;
    }
    return permissions;
  }

  private roleSetOf(roles: readonly string[]): number {
    const key = roles.join("\u0000");
    let id = this.roleSetIds.get(key);
    if (id === undefined) {
      id = this.roleSets.length;
      this.roleSets.push([...roles]);
      // Kept as long as the role sets, so that it stays a packed array.
      if (this.roleSetPermissions.length === id) this.roleSetPermissions.push(undefined);
      this.roleSetIds.set(key, id);
    }
    return id;
  }
}

// Shared by every tenant that has none, rather than an empty collection each.
const NO_GRANTS: readonly CompiledGrant[] = Object.freeze([]);
const NO_USER_GRANTS: ReadonlyMap<string, CompiledGrant[]> = new Map();
const NO_MEMBERS: ReadonlyMap<string, Member> = new Map();
const NO_PERMISSIONS: ReadonlyMap<string, DecisionSource> = new Map();

/** What a subscription, a grant and a membership have in common, as a change carries them. */
type TenantRecord = { tenantId: string; id?: string; userId?: string };

/**
 * A stored time in ms; absent means "no bound", and NaN that Date.parse cannot read it. The API refuses such
 * times, but a row written before it did (a leap second, an offset of "+05") or by hand must not take its
 * environment down, nor grant by accident: the record that holds one grants nothing, and the snapshot lists
 * it (unreadableRecords) for whoever runs the server.
 */
function storedTime(value: string | null | undefined): number | undefined {
  return value === undefined || value === null ? undefined : Date.parse(value);
}

/** "startAt \"…\"" for each of the fields whose time cannot be read. */
function unreadableFields(fields: Record<string, string | null | undefined>): string {
  return Object.entries(fields)
    .filter(([, value]) => Number.isNaN(storedTime(value)))
    .map(([name, value]) => `${name} ${JSON.stringify(value)}`)
    .join(", ");
}

function compileSubscription(s: Subscription, problems: string[]): CompiledSubscription {
  const start = storedTime(s.startAt);
  const end = storedTime(s.endAt);
  const trialEnd = storedTime(s.trialEndAt);
  const readable = !Number.isNaN(start) && !Number.isNaN(end) && !Number.isNaN(trialEnd);
  if (!readable) {
    const fields = unreadableFields({ startAt: s.startAt, endAt: s.endAt, trialEndAt: s.trialEndAt });
    problems.push(`subscription "${s.id}" of tenant "${s.tenantId}": unreadable ${fields}`);
  }
  return {
    id: s.id,
    planKey: s.planKey,
    addOns: s.addOns ?? [],
    // Unreadable: a status that is never active, and no bound that would move the tenant's memo window.
    status: readable ? s.status : "expired",
    start: readable ? (start ?? 0) : 0,
    end: readable ? end : undefined,
    trialEnd: readable ? trialEnd : undefined,
  };
}

/** The grant as decisions read it; undefined, and a line in `problems`, when one of its times is unreadable. */
function compileGrant(g: Grant, problems: string[]): CompiledGrant | undefined {
  const start = storedTime(g.startAt);
  const end = storedTime(g.expiresAt);
  if (Number.isNaN(start) || Number.isNaN(end)) {
    const fields = unreadableFields({ startAt: g.startAt, expiresAt: g.expiresAt });
    problems.push(`grant "${g.id}" of tenant "${g.tenantId}": unreadable ${fields}`);
    return undefined;
  }
  return {
    id: g.id,
    featureKey: g.featureKey ?? undefined,
    value: g.value,
    permissionKey: g.permissionKey ?? undefined,
    apiAccess: g.apiAccess ?? undefined,
    start,
    end,
  };
}

/** Earlier start first (none is earliest), then by id: the order a tenant's grants and subscriptions stack in. */
function byStartThenId(
  a: { id: string; start: number | undefined },
  b: { id: string; start: number | undefined },
) {
  const d = (a.start ?? Number.NEGATIVE_INFINITY) - (b.start ?? Number.NEGATIVE_INFINITY);
  if (d < 0) return -1;
  if (d > 0) return 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A map's values in the order of their keys, by UTF-16 code unit (no locale's collation). */
function byIdentity<T>(map: ReadonlyMap<string, T>): T[] {
  return [...map.keys()].sort().map((key) => map.get(key)!);
}
