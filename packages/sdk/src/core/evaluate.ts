import { type CompiledFeature, grants, usageRemediation } from "./catalog";
import type {
  CheckRequest,
  Decision,
  DecisionSource,
  EntityQuery,
  Remediation,
  RouteQuery,
} from "./decision";
import { type Effective, effectiveAt, type FeatureEntitlement, isGrantActive, withGrant } from "./effective";
import { evaluateFlag, type FlagContext } from "./flags";
import type { ReasonCode } from "./reasons";
import { check as checkRelation } from "./relations";
import { ambiguousPath, matchRoute } from "./routes";
import type { Member, Snapshot, TenantEntry } from "./snapshot";
import { ABSENT, ELSEWHERE, MISS } from "./tenant-index";

/**
 * isEntitledTo. Pure and synchronous: it reads the snapshot and the request, nothing else, so the server
 * and an SDK holding the same snapshot always agree. The order follows DESIGN.md: subject → grants →
 * subscriptions → flags → limits; a permission adds the user's roles, a route adds its rule.
 */
export function evaluate(snapshot: Snapshot, request: CheckRequest): Decision {
  const { subject } = request;
  const { index } = snapshot;
  // The tenant and its member through the index: the common decision reads no object of the tenant's.
  const block = index.find(subject.tenantId);
  if (block === ABSENT)
    return deny(snapshot, "TENANT_NOT_FOUND", `Tenant "${subject.tenantId}" does not exist.`);
  const userId = subject.userId;
  let record = ABSENT;
  let member: Member | undefined;
  if (userId !== undefined) {
    record = index.member(block, userId);
    if (record === ELSEWHERE) member = index.entry(block).members.get(userId);
    if (record === ABSENT || (record === ELSEWHERE && member === undefined)) {
      // The global map only to explain the miss.
      if (!snapshot.users.has(userId))
        return deny(snapshot, "USER_NOT_FOUND", `User "${userId}" does not exist.`);
      return deny(
        snapshot,
        "USER_NOT_IN_TENANT",
        `User "${userId}" is not a member of tenant "${subject.tenantId}".`,
      );
    }
  }
  // Read once: requests come in several shapes, and a property some lack costs a lookup in each.
  const at = request.at;
  const context: Context = {
    snapshot,
    block,
    record,
    userId,
    entry: undefined,
    member,
    request,
    at,
    aboutNow: at === undefined,
    effective: undefined,
  };
  if (request.feature !== undefined) return checkFeature(context, request.feature);
  if (request.permission !== undefined) return checkPermission(context, request.permission);
  if (request.route !== undefined) return checkRoute(context, request.route);
  if (request.entity !== undefined) return checkEntity(context, request.entity);
  throw new TypeError("A check names a feature, a permission, a route or an entity.");
}

interface Context {
  snapshot: Snapshot;
  /** The tenant's block in the snapshot's index. */
  block: number;
  /** The user's member record in the block; ELSEWHERE when the tenant's members are only in its entry. */
  record: number;
  /** The user, always a member of the tenant; undefined when the subject names none. */
  userId: string | undefined;
  /** The tenant's entry and the user's membership: read only when a decision needs more than the index. */
  entry: TenantEntry | undefined;
  member: Member | undefined;
  request: CheckRequest;
  /** The decision's time: the request's, or the clock's, read once and only if the decision needs it. */
  at: number | undefined;
  /** The request names no time: the decision is about now, even once `at` holds a reading of the clock. */
  aboutNow: boolean;
  effective: Effective | undefined;
}

/**
 * When the decision happens. Reading the clock costs 50–100 ns on some VMs (a tenth of a decision), and a
 * decision that a role, an unknown key, a missing tenant or an open-ended memo (effectiveOf) settles never
 * needs it; one that does reads it once, so every part of the decision sees the same instant.
 */
function timeOf(context: Context): number {
  context.at ??= Date.now();
  return context.at;
}

function entryOf(context: Context): TenantEntry {
  context.entry ??= context.snapshot.index.entry(context.block);
  return context.entry;
}

/** The user's membership; call only when the subject names a user (who is then a member). */
function memberOf(context: Context): Member {
  if (context.member === undefined) {
    const { record, snapshot } = context;
    context.member =
      record >= 0 && snapshot.index.hasGrants(record)
        ? snapshot.index.grantedMember(context.block, record)
        : entryOf(context).members.get(context.userId!);
  }
  return context.member!;
}

function hasMemberGrants(context: Context): boolean {
  if (context.userId === undefined) return false;
  if (context.record >= 0) return context.snapshot.index.hasGrants(context.record);
  return memberOf(context).grants.length > 0;
}

/**
 * The tenant's entitlements at the decision's time, from the index's memo while its window holds; otherwise
 * from the entry (which memoises them in turn), and the index copies the entry's memo. A decision about now,
 * for a tenant whose entitlements last changed at a time already past and will not change again (most
 * tenants: an open-ended subscription, no expiring grant), reads no clock.
 */
function effectiveOf(context: Context): Effective {
  if (context.effective !== undefined) return context.effective;
  const { snapshot, block } = context;
  const { catalog, index } = snapshot;
  const { aboutNow } = context;
  let memo = aboutNow ? index.memoNow(block, catalog.generation) : MISS;
  if (memo === MISS) {
    const at = timeOf(context);
    memo = index.memo(block, catalog.generation, at);
    if (memo === MISS) {
      const entry = entryOf(context);
      context.effective = effectiveAt(catalog, entry, at, aboutNow);
      if (entry.memo === context.effective && entry.memoGeneration === catalog.generation) {
        // Begun when `at` is the clock's and inside the window; a request's own `at` may lie in the future.
        const begun = aboutNow && at >= entry.memoFrom && at < entry.memoUntil;
        index.remember(block, catalog.generation, entry.memoFrom, entry.memoUntil, context.effective, begun);
      }
      return context.effective;
    }
    // A reading of the clock inside the memo's window: it has begun.
    if (aboutNow) index.begun(block);
  }
  context.effective = memo >= 0 ? catalog.bundleList[memo]! : index.ownMemo(block);
  return context.effective;
}

function checkFeature(context: Context, key: string): Decision {
  const { snapshot } = context;
  const feature = snapshot.catalog.features.get(key);
  if (!feature) return deny(snapshot, "FEATURE_NOT_FOUND", `No feature has the key "${key}".`);
  if (feature.archived) return deny(snapshot, "FEATURE_ARCHIVED", `Feature "${key}" is archived.`);

  const effective = effectiveOf(context);
  const entitlement =
    userGrant(context, feature) ??
    (effective.granted === undefined ? undefined : effective.granted.get(key)) ??
    effective.entitlements[feature.ordinal];
  if (!entitlement || !grants(feature, entitlement.value)) {
    const requested = feature.type === "limit" ? context.request.requestedUsage : undefined;
    if (!entitlement && !effective.active) {
      return deny(
        snapshot,
        "NO_ACTIVE_SUBSCRIPTION",
        "The tenant has no active subscription.",
        requested === undefined
          ? feature.baseRemediation
          : usageRemediation(feature, requested, 0, effective.plans, false),
      );
    }
    return deny(
      snapshot,
      "FEATURE_NOT_IN_PLAN",
      feature.notInPlan,
      // A grant overrides the plans, so no plan unlocks what a grant of nothing holds back.
      entitlement?.source?.type === "grant"
        ? undefined
        : requested === undefined
          ? feature.remediation
          : usageRemedy(feature, requested, effective),
    );
  }

  const { gate } = feature;
  if (gate !== undefined) {
    const flag = snapshot.catalog.flags.get(gate.source.key);
    // A gate whose flag is gone stays shut: deny by default.
    const on = flag !== undefined && evaluateFlag(flag, new LazyFlagContext(context, effective)).on;
    if (!on) return decide(snapshot, false, "FEATURE_DISABLED", gate.message, gate.source);
  }

  if (feature.type === "limit") {
    const limit = entitlement.value as number | null;
    const requested = context.request.requestedUsage;
    if (requested !== undefined && limit !== null && requested > limit) {
      const d = decide(
        snapshot,
        false,
        "USAGE_LIMIT_EXCEEDED",
        `Requested ${requested} of "${key}" exceeds the limit of ${limit}.`,
        entitlement.source,
        entitlement.source?.type === "grant" ? undefined : usageRemedy(feature, requested, effective),
      );
      d.value = limit;
      d.limit = limit;
      return d;
    }
    const d = decide(snapshot, true, "ENTITLED", "Entitled.", entitlement.source);
    d.value = limit;
    d.limit = limit;
    return d;
  }
  const d = decide(snapshot, true, "ENTITLED", "Entitled.", entitlement.source);
  if (feature.type === "config") d.value = entitlement.value;
  return d;
}

/**
 * The plans that would allow `requested` of a limit feature to this tenant, whose limit comes from its plans
 * (where it comes from a grant, no plan can change it): an add-on adds to what the plans give.
 */
function usageRemedy(feature: CompiledFeature, requested: number, effective: Effective) {
  const fromPlans = effective.entitlements[feature.ordinal]?.value;
  const current = fromPlans === undefined ? 0 : (fromPlans as number | null);
  return usageRemediation(feature, requested, current, effective.plans, effective.active);
}

/**
 * The records load only if a rule reads their attributes: most flags need no more than the ids. A class
 * rather than an object literal with getters, whose two closures would be made again for every decision.
 */
class LazyFlagContext implements FlagContext {
  readonly tenantId: string;
  readonly userId: string | undefined;
  readonly plans: readonly string[];
  readonly attributes: FlagContext["attributes"];

  constructor(
    private readonly context: Context,
    effective: Effective,
  ) {
    this.tenantId = context.request.subject.tenantId;
    this.userId = context.userId;
    this.plans = effective.plans;
    this.attributes = context.request.subject.attributes;
  }

  get tenant() {
    return entryOf(this.context).tenant;
  }

  get user() {
    return this.userId === undefined ? undefined : memberOf(this.context).user;
  }
}

/** What the user's own active grants of the feature give, combined as a tenant's are (withGrant). */
function userGrant(context: Context, feature: CompiledFeature): FeatureEntitlement | undefined {
  if (!hasMemberGrants(context)) return undefined;
  const list = memberOf(context).grants;
  let found: FeatureEntitlement | undefined;
  for (const g of list) {
    if (g.featureKey !== feature.key || !isGrantActive(g, timeOf(context))) continue;
    found = withGrant(feature, found, g);
  }
  return found;
}

function checkPermission(context: Context, key: string): Decision {
  const { snapshot, userId } = context;
  const permission = snapshot.catalog.permissions.get(key);
  if (!permission) return deny(snapshot, "PERMISSION_NOT_FOUND", `No permission has the key "${key}".`);
  if (userId === undefined)
    return deny(snapshot, "USER_NOT_FOUND", "A permission is checked for a user: give subject.userId.");

  const source = permissionSource(context, key);
  if (!source) return deny(snapshot, "PERMISSION_MISSING", permission.missing, permission.remediation);
  if (permission.featureKey) {
    const feature = checkFeature(context, permission.featureKey);
    if (!feature.entitled) return feature;
  }
  return decide(snapshot, true, "ENTITLED", "Entitled.", source);
}

function permissionSource(context: Context, key: string): DecisionSource | undefined {
  const { snapshot } = context;
  if (context.record >= 0) {
    const source = snapshot.permissionsOfRoleSet(snapshot.index.roleSet(context.record)).get(key);
    if (source !== undefined) return source;
  } else {
    for (const roleKey of memberOf(context).roles) {
      const role = snapshot.catalog.roles.get(roleKey);
      if (role?.permissions.has(key)) return role.source;
    }
  }
  if (hasMemberGrants(context)) {
    for (const g of memberOf(context).grants) {
      if (g.permissionKey === key && isGrantActive(g, timeOf(context))) return { type: "grant", key: g.id };
    }
  }
  return effectiveOf(context).permissions.get(key);
}

function checkRoute(context: Context, route: RouteQuery): Decision {
  const { snapshot } = context;
  const match = matchRoute(snapshot.catalog.routes, route.method, route.path);
  if (!match) {
    return deny(
      snapshot,
      "ROUTE_NOT_FOUND",
      ambiguousPath(route.path)
        ? `The path ${route.path} is not in normal form (a dot segment, an encoded slash or bad percent-encoding): a server could read it as another route, so it matches none.`
        : `No route matches ${route.method.toUpperCase()} ${route.path}.`,
    );
  }
  const rule = match.value;
  const { source } = rule;
  if (rule.public) return decide(snapshot, true, "ENTITLED", "The route is public.", source);

  let last: Decision | undefined;
  const alternatives =
    rule.alternatives ?? (rule.scopes && rule.scopes.length > 0 ? [rule.scopes] : undefined);
  if (alternatives && alternatives.length > 0) {
    const missing = missingScopes(context, rule.api, alternatives);
    if (missing) {
      return deny(snapshot, "SCOPE_MISSING", `The credential lacks scope ${missing.join(", ")}.`, {
        scopes: missing,
      });
    }
    last = decide(snapshot, true, "ENTITLED", "Entitled.", source);
  }
  if (rule.featureKey) {
    last = checkFeature(context, rule.featureKey);
    if (!last.entitled) return last;
  }
  if (rule.permissionKey) {
    last = checkPermission(context, rule.permissionKey);
    if (!last.entitled) return last;
  }
  // A rule that requires nothing and is not public grants nothing: deny by default.
  return (
    last ??
    deny(
      snapshot,
      "ROUTE_NOT_FOUND",
      `The route ${rule.method} ${rule.path} requires nothing and is not public.`,
    )
  );
}

/**
 * Undefined when some alternative is fully held; otherwise what the nearest alternative lacks. For a rule of
 * an API, what is held is the credential's scopes (when the request names them) within the tenant's current
 * entitlement to that API: a downgrade takes effect at once even for credentials issued before it.
 */
function missingScopes(
  context: Context,
  api: string | undefined,
  alternatives: string[][],
): string[] | undefined {
  const given = context.request.scopes;
  const entitled = api === undefined ? undefined : effectiveOf(context).scopes.get(api);
  const holds = (scope: string) =>
    api === undefined
      ? given?.includes(scope) === true
      : entitled?.has(scope) === true && (given === undefined || given.includes(scope));
  let nearest: string[] | undefined;
  for (const alternative of alternatives) {
    const missing = alternative.filter((scope) => !holds(scope));
    if (missing.length === 0) return undefined;
    if (!nearest || missing.length < nearest.length) nearest = missing;
  }
  return nearest;
}

function checkEntity(context: Context, entity: EntityQuery): Decision {
  const { snapshot, userId } = context;
  if (userId === undefined)
    return deny(snapshot, "USER_NOT_FOUND", "An entity is checked for a user: give subject.userId.");
  const engine = snapshot.relations;
  const object = `${entity.type}:${entity.id}`;
  if (!engine) return deny(snapshot, "RELATION_MISSING", "No relationship model is defined.");
  const result = checkRelation(engine, {
    object,
    relation: entity.action,
    user: `user:${userId}`,
    context: context.request.subject.attributes as Record<string, unknown> | undefined,
    at: timeOf(context),
  });
  if (result.error) return deny(snapshot, "RELATION_MISSING", result.error.message);
  if (!result.allowed) {
    return deny(
      snapshot,
      "RELATION_MISSING",
      `No relationship gives user "${userId}" ${entity.action} on ${object}.`,
    );
  }
  return decide(snapshot, true, "ENTITLED", "Entitled.", {
    type: "relation",
    key: `${object}#${entity.action}`,
  });
}

function decide(
  snapshot: Snapshot,
  entitled: boolean,
  reason: ReasonCode,
  message: string,
  source: DecisionSource | undefined,
  remediation?: Remediation,
): Decision {
  // Every decision has the same fields in the same order: one hidden class keeps the hot path monomorphic.
  return {
    entitled,
    reason,
    message,
    source,
    value: undefined,
    limit: undefined,
    remediation,
    decisionId: undefined,
    revision: snapshot.revision,
  };
}

function deny(snapshot: Snapshot, reason: ReasonCode, message: string, remediation?: Remediation): Decision {
  return decide(snapshot, false, reason, message, undefined, remediation);
}
