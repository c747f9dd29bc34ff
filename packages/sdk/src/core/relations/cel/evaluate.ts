import type { CelNode } from "./ast";
import {
  CelDuration,
  CelEvalError,
  CelIp,
  CelTimestamp,
  CelUint,
  checkInt,
  checkUint,
  ipInCidr,
  parseDuration,
  parseIp,
  parseTimestamp,
} from "./values";

export type CelVars = ReadonlyMap<string, unknown>;

/** Evaluates a parsed expression; throws CelEvalError for type errors, overflow and unknown names. */
export function evaluateCel(node: CelNode, vars: CelVars): unknown {
  switch (node.k) {
    case "lit":
      return node.value;
    case "ident":
      if (!vars.has(node.name)) throw new CelEvalError(`undeclared reference to '${node.name}'`);
      return vars.get(node.name);
    case "select": {
      const target = evaluateCel(node.target, vars);
      if (target instanceof Map) {
        if (!target.has(node.field)) throw new CelEvalError(`no such key: ${node.field}`);
        return target.get(node.field);
      }
      throw new CelEvalError(`cannot select '${node.field}' from ${typeName(target)}`);
    }
    case "has": {
      const target = evaluateCel(node.target, vars);
      if (target instanceof Map) return target.has(node.field);
      throw new CelEvalError(`has() needs a map, got ${typeName(target)}`);
    }
    case "index":
      return index(evaluateCel(node.target, vars), evaluateCel(node.index, vars));
    case "unary": {
      const v = evaluateCel(node.arg, vars);
      if (node.op === "!") {
        if (typeof v !== "boolean") throw new CelEvalError(`'!' needs a bool, got ${typeName(v)}`);
        return !v;
      }
      if (typeof v === "bigint") return checkInt(-v);
      if (typeof v === "number") return -v;
      if (v instanceof CelDuration) return new CelDuration(-v.ms);
      throw new CelEvalError(`'-' needs a number, got ${typeName(v)}`);
    }
    case "and":
    case "or":
      return logical(node.k, node.left, node.right, vars);
    case "cond": {
      const test = evaluateCel(node.test, vars);
      if (typeof test !== "boolean") throw new CelEvalError(`'?' needs a bool, got ${typeName(test)}`);
      return evaluateCel(test ? node.then : node.else, vars);
    }
    case "list":
      return node.items.map((i) => evaluateCel(i, vars));
    case "map": {
      const m = new Map<unknown, unknown>();
      for (const [k, v] of node.entries) m.set(mapKey(evaluateCel(k, vars)), evaluateCel(v, vars));
      return m;
    }
    case "binary":
      return binary(node.op, evaluateCel(node.left, vars), evaluateCel(node.right, vars));
    case "call":
      return call(
        node.fn,
        node.target === null ? null : evaluateCel(node.target, vars),
        node.args.map((a) => evaluateCel(a, vars)),
        node.target !== null,
      );
    case "comprehension":
      return comprehension(node, vars);
  }
}

/** CEL's commutative logic: an error on one side is absorbed when the other side decides the result. */
function logical(op: "and" | "or", left: CelNode, right: CelNode, vars: CelVars): boolean {
  const decisive = op === "or";
  let leftError: unknown = null;
  try {
    const l = evaluateCel(left, vars);
    if (typeof l !== "boolean")
      throw new CelEvalError(`'${op === "or" ? "||" : "&&"}' needs bools, got ${typeName(l)}`);
    if (l === decisive) return decisive;
  } catch (e) {
    leftError = e;
  }
  const r = evaluateCel(right, vars);
  if (typeof r !== "boolean")
    throw new CelEvalError(`'${op === "or" ? "||" : "&&"}' needs bools, got ${typeName(r)}`);
  if (r === decisive) return decisive;
  if (leftError) throw leftError;
  return !decisive;
}

function comprehension(node: Extract<CelNode, { k: "comprehension" }>, vars: CelVars): unknown {
  const target = evaluateCel(node.target, vars);
  const items = Array.isArray(target) ? target : target instanceof Map ? [...target.keys()] : null;
  if (!items) throw new CelEvalError(`${node.macro}() needs a list or map, got ${typeName(target)}`);
  const scope = new Map(vars);
  const run = (item: unknown, body: CelNode): unknown => {
    scope.set(node.variable, item);
    return evaluateCel(body, scope);
  };
  const truth = (item: unknown): boolean => {
    const v = run(item, node.body);
    if (typeof v !== "boolean") throw new CelEvalError(`${node.macro}() predicate must be a bool`);
    return v;
  };
  switch (node.macro) {
    case "all":
      return items.every(truth);
    case "exists":
      return items.some(truth);
    case "exists_one":
      return items.filter(truth).length === 1;
    case "filter":
      return items.filter(truth);
    case "map":
      return items.map((i) => run(i, node.body));
    case "map_filter":
      return items.filter(truth).map((i) => run(i, node.mapper!));
    default:
      throw new CelEvalError(`unknown macro ${node.macro}`);
  }
}

function index(target: unknown, key: unknown): unknown {
  if (Array.isArray(target)) {
    const i = typeof key === "bigint" ? Number(key) : key instanceof CelUint ? Number(key.value) : Number.NaN;
    if (!Number.isInteger(i) || i < 0 || i >= target.length)
      throw new CelEvalError(`index out of range: ${String(key)}`);
    return target[i];
  }
  if (target instanceof Map) {
    const k = mapKey(key);
    if (!target.has(k)) throw new CelEvalError(`no such key: ${String(key)}`);
    return target.get(k);
  }
  throw new CelEvalError(`cannot index ${typeName(target)}`);
}

/** Map keys are compared by value: ints and uints as their decimal text, strings and bools as themselves. */
function mapKey(k: unknown): unknown {
  if (typeof k === "bigint") return k.toString();
  if (k instanceof CelUint) return k.value.toString();
  return k;
}

function binary(op: string, l: unknown, r: unknown): unknown {
  switch (op) {
    case "==":
      return equals(l, r);
    case "!=":
      return !equals(l, r);
    case "<":
      return compare(l, r) < 0;
    case "<=":
      return compare(l, r) <= 0;
    case ">":
      return compare(l, r) > 0;
    case ">=":
      return compare(l, r) >= 0;
    case "in":
      if (Array.isArray(r)) return r.some((x) => equals(x, l));
      if (r instanceof Map) return r.has(mapKey(l));
      throw new CelEvalError(`'in' needs a list or map, got ${typeName(r)}`);
    default:
      return arithmetic(op, l, r);
  }
}

function arithmetic(op: string, l: unknown, r: unknown): unknown {
  if (typeof l === "bigint" && typeof r === "bigint") {
    if ((op === "/" || op === "%") && r === 0n) throw new CelEvalError("division by zero");
    return checkInt(
      op === "+" ? l + r : op === "-" ? l - r : op === "*" ? l * r : op === "/" ? l / r : l % r,
    );
  }
  if (l instanceof CelUint && r instanceof CelUint) {
    const a = l.value;
    const b = r.value;
    if ((op === "/" || op === "%") && b === 0n) throw new CelEvalError("division by zero");
    return checkUint(
      op === "+" ? a + b : op === "-" ? a - b : op === "*" ? a * b : op === "/" ? a / b : a % b,
    );
  }
  if (typeof l === "number" && typeof r === "number" && op !== "%") {
    return op === "+" ? l + r : op === "-" ? l - r : op === "*" ? l * r : l / r;
  }
  if (op === "+") {
    if (typeof l === "string" && typeof r === "string") return l + r;
    if (Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
    if (l instanceof CelTimestamp && r instanceof CelDuration) return new CelTimestamp(l.ms + r.ms);
    if (l instanceof CelDuration && r instanceof CelTimestamp) return new CelTimestamp(l.ms + r.ms);
    if (l instanceof CelDuration && r instanceof CelDuration) return new CelDuration(l.ms + r.ms);
  }
  if (op === "-") {
    if (l instanceof CelTimestamp && r instanceof CelTimestamp) return new CelDuration(l.ms - r.ms);
    if (l instanceof CelTimestamp && r instanceof CelDuration) return new CelTimestamp(l.ms - r.ms);
    if (l instanceof CelDuration && r instanceof CelDuration) return new CelDuration(l.ms - r.ms);
  }
  throw new CelEvalError(`no such overload: ${typeName(l)} ${op} ${typeName(r)}`);
}

function numeric(v: unknown): number | bigint | null {
  if (typeof v === "bigint" || typeof v === "number") return v;
  if (v instanceof CelUint) return v.value;
  return null;
}

function compare(l: unknown, r: unknown): number {
  const a = numeric(l);
  const b = numeric(r);
  if (a !== null && b !== null) {
    if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof l === "string" && typeof r === "string") return l < r ? -1 : l > r ? 1 : 0;
  if (typeof l === "boolean" && typeof r === "boolean") return Number(l) - Number(r);
  if (l instanceof CelTimestamp && r instanceof CelTimestamp) return Math.sign(l.ms - r.ms);
  if (l instanceof CelDuration && r instanceof CelDuration) return Math.sign(l.ms - r.ms);
  throw new CelEvalError(`no such overload: ${typeName(l)} compared with ${typeName(r)}`);
}

export function equals(l: unknown, r: unknown): boolean {
  const a = numeric(l);
  const b = numeric(r);
  if (a !== null && b !== null) return compare(a, b) === 0;
  if (l instanceof CelTimestamp && r instanceof CelTimestamp) return l.ms === r.ms;
  if (l instanceof CelDuration && r instanceof CelDuration) return l.ms === r.ms;
  if (l instanceof CelIp && r instanceof CelIp) return l.bits === r.bits && l.value === r.value;
  if (Array.isArray(l) && Array.isArray(r))
    return l.length === r.length && l.every((x, i) => equals(x, r[i]));
  if (l instanceof Map && r instanceof Map) {
    if (l.size !== r.size) return false;
    for (const [k, v] of l) if (!r.has(k) || !equals(v, r.get(k))) return false;
    return true;
  }
  return l === r;
}

function call(fn: string, target: unknown, args: unknown[], isMethod: boolean): unknown {
  const arg0 = isMethod ? target : args[0];
  const rest = isMethod ? args : args.slice(1);
  switch (fn) {
    case "size":
      if (typeof arg0 === "string") return BigInt([...arg0].length);
      if (Array.isArray(arg0)) return BigInt(arg0.length);
      if (arg0 instanceof Map) return BigInt(arg0.size);
      break;
    case "contains":
    case "startsWith":
    case "endsWith":
    case "matches": {
      const s = rest[0];
      if (typeof arg0 === "string" && typeof s === "string") {
        if (fn === "contains") return arg0.includes(s);
        if (fn === "startsWith") return arg0.startsWith(s);
        if (fn === "endsWith") return arg0.endsWith(s);
        try {
          return new RegExp(s, "u").test(arg0);
        } catch {
          throw new CelEvalError(`invalid regular expression '${s}'`);
        }
      }
      break;
    }
    case "lowerAscii":
      if (typeof arg0 === "string") return arg0.toLowerCase();
      break;
    case "upperAscii":
      if (typeof arg0 === "string") return arg0.toUpperCase();
      break;
    case "in_cidr":
      if (arg0 instanceof CelIp && typeof rest[0] === "string") return ipInCidr(arg0, rest[0]);
      break;
    case "int":
      return toInt(arg0);
    case "uint":
      if (typeof arg0 === "bigint") return checkUint(arg0);
      if (arg0 instanceof CelUint) return arg0;
      if (typeof arg0 === "number" && Number.isFinite(arg0)) return checkUint(BigInt(Math.trunc(arg0)));
      if (typeof arg0 === "string" && /^\d+$/.test(arg0)) return checkUint(BigInt(arg0));
      break;
    case "double":
      if (typeof arg0 === "number") return arg0;
      if (typeof arg0 === "bigint") return Number(arg0);
      if (arg0 instanceof CelUint) return Number(arg0.value);
      if (typeof arg0 === "string" && arg0.trim() !== "" && !Number.isNaN(Number(arg0))) return Number(arg0);
      break;
    case "string":
      return toStringValue(arg0);
    case "bool":
      if (typeof arg0 === "boolean") return arg0;
      if (arg0 === "true") return true;
      if (arg0 === "false") return false;
      break;
    case "timestamp":
      if (typeof arg0 === "string") return parseTimestamp(arg0);
      if (arg0 instanceof CelTimestamp) return arg0;
      if (typeof arg0 === "bigint") return new CelTimestamp(Number(arg0) * 1000);
      break;
    case "duration":
      if (typeof arg0 === "string") return parseDuration(arg0);
      if (arg0 instanceof CelDuration) return arg0;
      break;
    case "ipaddress":
      if (typeof arg0 === "string") return parseIp(arg0);
      break;
    case "getFullYear":
    case "getMonth":
    case "getDate":
    case "getDayOfMonth":
    case "getDayOfWeek":
    case "getDayOfYear":
    case "getHours":
    case "getMinutes":
    case "getSeconds":
    case "getMilliseconds":
      if (arg0 instanceof CelTimestamp) return timestampPart(fn, arg0);
      if (arg0 instanceof CelDuration) return durationPart(fn, arg0);
      break;
  }
  throw new CelEvalError(`no such overload: ${fn}(${[arg0, ...rest].map(typeName).join(", ")})`);
}

function toInt(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (v instanceof CelUint) return checkInt(v.value);
  if (typeof v === "number" && Number.isFinite(v)) return checkInt(BigInt(Math.trunc(v)));
  if (typeof v === "string" && /^-?\d+$/.test(v)) return checkInt(BigInt(v));
  if (v instanceof CelTimestamp) return BigInt(Math.floor(v.ms / 1000));
  throw new CelEvalError(`cannot convert ${typeName(v)} to int`);
}

function toStringValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (typeof v === "number") return String(v);
  if (v instanceof CelUint) return v.value.toString();
  if (v instanceof CelTimestamp) return new Date(v.ms).toISOString().replace(".000Z", "Z");
  if (v instanceof CelDuration) return `${v.ms / 1000}s`;
  if (v instanceof CelIp) return v.text;
  throw new CelEvalError(`cannot convert ${typeName(v)} to string`);
}

/** Timestamp accessors in UTC (CEL's default time zone). */
function timestampPart(fn: string, t: CelTimestamp): bigint {
  const d = new Date(t.ms);
  switch (fn) {
    case "getFullYear":
      return BigInt(d.getUTCFullYear());
    case "getMonth":
      return BigInt(d.getUTCMonth());
    case "getDate":
      return BigInt(d.getUTCDate());
    case "getDayOfMonth":
      return BigInt(d.getUTCDate() - 1);
    case "getDayOfWeek":
      return BigInt(d.getUTCDay());
    case "getDayOfYear":
      return BigInt(Math.floor((t.ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000));
    case "getHours":
      return BigInt(d.getUTCHours());
    case "getMinutes":
      return BigInt(d.getUTCMinutes());
    case "getSeconds":
      return BigInt(d.getUTCSeconds());
    default:
      return BigInt(d.getUTCMilliseconds());
  }
}

function durationPart(fn: string, d: CelDuration): bigint {
  const divisor =
    fn === "getHours"
      ? 3_600_000
      : fn === "getMinutes"
        ? 60_000
        : fn === "getSeconds"
          ? 1000
          : fn === "getMilliseconds"
            ? 1
            : 0;
  if (divisor === 0) throw new CelEvalError(`no such overload: ${fn}(duration)`);
  return BigInt(Math.trunc(d.ms / divisor));
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return "double";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (v instanceof CelUint) return "uint";
  if (v instanceof CelTimestamp) return "timestamp";
  if (v instanceof CelDuration) return "duration";
  if (v instanceof CelIp) return "ipaddress";
  if (Array.isArray(v)) return "list";
  if (v instanceof Map) return "map";
  return "unknown";
}
