import { inRollout } from "./hash";
import type { Attributes, Flag, FlagCondition, JsonValue, Tenant, User } from "./types";

/**
 * What targeting rules can read about the subject of a decision. `tenant` and `user` may be getters: they are
 * read only when a rule reads their attributes, and a rollout reads the ids (`tenantId`/`userId` when given,
 * which spares the evaluator loading the records at all).
 */
export interface FlagContext {
  tenant: Tenant;
  user?: User | undefined;
  tenantId?: string | undefined;
  userId?: string | undefined;
  /** Keys of the tenant's plans active at the evaluation time. */
  plans: readonly string[];
  attributes?: Attributes | undefined;
}

export interface FlagResult {
  on: boolean;
  /** Index of the rule that matched, -1 for the rollout or default. */
  rule: number;
}

export function evaluateFlag(flag: Flag, context: FlagContext): FlagResult {
  if (!flag.enabled) return { on: false, rule: -1 };
  const rules = flag.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (!rule.conditions.every((condition) => matches(condition, context))) continue;
    const served = rule.serve ?? true;
    const rollout = rule.rollout ?? 100;
    // Subjects outside a rule's rollout get the opposite of what the rule serves, not the next rule:
    // a 10% rollout must mean exactly that share of the matching subjects. Every rule hashes with the flag's
    // key alone, not the rule's place in the list: a rule added above it keeps its subjects where they were.
    return {
      on: inRollout(flag.key, bucketOf(flag, context), rollout) ? served : !served,
      rule: i,
    };
  }
  if (flag.rollout !== undefined && flag.rollout !== null) {
    return { on: inRollout(flag.key, bucketOf(flag, context), flag.rollout), rule: -1 };
  }
  return { on: flag.default, rule: -1 };
}

/** Who a rollout buckets: the user when the flag says so and there is one, else the tenant. */
function bucketOf(flag: Flag, context: FlagContext): string {
  if (flag.bucketBy === "user") {
    const userId = context.userId ?? context.user?.id;
    if (userId !== undefined) return userId;
  }
  return context.tenantId ?? context.tenant.id;
}

function attributeValues(name: string, context: FlagContext): JsonValue[] | undefined {
  if (name === "tenant.id") return [context.tenantId ?? context.tenant.id];
  if (name === "tenant.plan") return context.plans as string[];
  if (name === "user.id") {
    const userId = context.userId ?? context.user?.id;
    return userId === undefined ? undefined : [userId];
  }
  if (name.startsWith("tenant.")) return wrap(own(context.tenant.attributes, name.slice(7)));
  if (name.startsWith("user."))
    return context.user ? wrap(own(context.user.attributes, name.slice(5))) : undefined;
  return wrap(own(context.attributes, name));
}

/**
 * An attribute the record or request has itself: a plain index would read `constructor` or `__proto__` from
 * Object.prototype, and `exists` would hold for a subject with no such attribute.
 */
function own(
  attributes: Readonly<Record<string, JsonValue>> | undefined,
  name: string,
): JsonValue | undefined {
  return attributes !== undefined && Object.hasOwn(attributes, name) ? attributes[name] : undefined;
}

function wrap(value: JsonValue | undefined): JsonValue[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}

function matches(condition: FlagCondition, context: FlagContext): boolean {
  const actual = attributeValues(condition.attribute, context);
  const expected = condition.values ?? [];
  switch (condition.operator) {
    case "exists":
      return actual !== undefined && actual.length > 0;
    case "not_exists":
      return actual === undefined || actual.length === 0;
    case "neq":
    case "not_in":
      return !actual?.some((value) => expected.some((other) => equal(value, other)));
    default:
      return actual?.some((value) => compare(condition.operator, value, expected)) === true;
  }
}

function compare(operator: FlagCondition["operator"], value: JsonValue, expected: JsonValue[]): boolean {
  switch (operator) {
    case "eq":
    case "in":
      return expected.some((other) => equal(value, other));
    case "contains":
      return typeof value === "string" && expected.some((o) => typeof o === "string" && value.includes(o));
    case "starts_with":
      return typeof value === "string" && expected.some((o) => typeof o === "string" && value.startsWith(o));
    case "ends_with":
      return typeof value === "string" && expected.some((o) => typeof o === "string" && value.endsWith(o));
    case "gt":
      return expected.some((o) => ordered(value, o) > 0);
    case "gte":
      return expected.some((o) => ordered(value, o) >= 0);
    case "lt":
      return expected.some((o) => ordered(value, o) < 0);
    case "lte":
      return expected.some((o) => ordered(value, o) <= 0);
    default:
      return false;
  }
}

function equal(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  // Attributes arrive from JSON in whatever type the caller had: "42" and 42 name the same thing.
  if ((typeof a === "number" && typeof b === "string") || (typeof a === "string" && typeof b === "number")) {
    return String(a) === String(b);
  }
  return false;
}

/** NaN-safe ordering: incomparable values compare as NaN, so every ordered operator is false. */
function ordered(a: JsonValue, b: JsonValue): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  // Two strings that spell numbers order as numbers ("9" < "10"), as a number and such a string do; other
  // strings as text (ISO dates order right that way). Nothing else orders against a number (Number() would
  // make null, "", " " and false 0, and true 1).
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) return x - y;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  return Number.NaN;
}

function asNumber(value: JsonValue): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
