import { type Decision, type DecisionSource, REASON_CODES, type Remediation } from "@tessera/sdk/core";

/**
 * The decision body, written by hand: the hottest response of the service. It writes exactly what Fastify's
 * schema serializer (fast-json-stringify over DecisionSchema) writes, byte for byte and in the same order
 * (required fields, then optional ones), and refuses what it refuses; serialize.test.ts holds the two
 * together. Fields outside the schema (validUntil) are left out, as the schema leaves them out.
 *
 * It is faster because most of a decision repeats. The evaluator answers from a catalog whose messages,
 * sources and remediations are shared and frozen, so only the decision id and the revision are new in
 * each body; the rest comes from caches of JSON fragments, and the body is a few long pieces rather than
 * dozens of short ones (which Node would have to flatten before writing them). The caches hold only what
 * cannot change under them: strings, and objects that are frozen all the way down.
 */
export function serializeDecision(d: Decision): string {
  let json = `${headOf(d.entitled, d.reason, required(d.message, "message"))}"decisionId":${text(
    required(d.decisionId, "decisionId"),
  )},"revision":${integer(required(d.revision, "revision"))}`;
  const { source, value, limit, remediation } = d;
  if (source !== undefined) json += source === null ? ',"source":{}' : fragment(source, sourceOf);
  if (value !== undefined) json += `,"value":${JSON.stringify(value)}`;
  if (limit !== undefined) json += `,"limit":${limitOf(limit)}`;
  if (remediation !== undefined) {
    json += remediation === null ? ',"remediation":{}' : fragment(remediation, remediationOf);
  }
  return `${json}}`;
}

/** `{"decisions":[…]}`, the batch's body. */
export function serializeDecisions(decisions: readonly Decision[]): string {
  let json = '{"decisions":[';
  for (let i = 0; i < decisions.length; i++) {
    if (i > 0) json += ",";
    json += serializeDecision(decisions[i]!);
  }
  return `${json}]}`;
}

const REASONS = new Map<string, string>(REASON_CODES.map((code) => [code, `"${code}"`]));

function reasonOf(reason: unknown): string {
  if (reason === undefined) throw new Error('"reason" is required!');
  const quoted = REASONS.get(reason as string);
  if (quoted === undefined) {
    throw new TypeError("The value of '#/properties/reason' does not match schema definition.");
  }
  return quoted;
}

/** `{"entitled":…,"reason":…,"message":…,` for one message, and what it was written for. */
interface Head {
  entitled: unknown;
  reason: unknown;
  json: string;
}

/**
 * Heads by message. Most messages come from the catalog, so there are few of them; some name what the
 * caller asked for (an unknown key, a user), so the cache is emptied when it fills rather than let grow.
 */
const heads = new Map<string, Head>();
const MAX_HEADS = 4096;

function headOf(entitled: boolean, reason: unknown, message: unknown): string {
  // Most decisions say this; a comparison with a constant is cheaper than a hash lookup in a cold table.
  if (message === ENTITLED && entitled === true && reason === "ENTITLED") return ENTITLED_HEAD;
  if (typeof message !== "string") return writeHead(entitled, reason, message);
  const cached = heads.get(message);
  if (cached !== undefined && cached.entitled === entitled && cached.reason === reason) return cached.json;
  const json = flat(writeHead(entitled, reason, message));
  if (heads.size >= MAX_HEADS) heads.clear();
  heads.set(message, { entitled, reason, json });
  return json;
}

function writeHead(entitled: unknown, reason: unknown, message: unknown): string {
  return `{"entitled":${entitled ? "true" : "false"},"reason":${reasonOf(reason)},"message":${text(message)},`;
}

const ENTITLED = "Entitled.";
const ENTITLED_HEAD = flat(writeHead(true, "ENTITLED", ENTITLED));

/** Fragments of frozen objects (sources, remediations), which can never differ from what was written. */
const fragments = new WeakMap<object, string>();

function fragment<T extends object>(value: T, write: (value: T) => string): string {
  const cached = fragments.get(value);
  if (cached !== undefined) return cached;
  const json = write(value);
  if (typeof value === "object" && value !== null && deeplyFrozen(value)) fragments.set(value, flat(json));
  return json;
}

/**
 * The same string, made flat. Concatenation gives V8 a tree of pieces, and every body a cached piece goes
 * into would walk that tree again when Node measures and writes the body (about 0.5 µs a body); flattened
 * once, the piece is copied in one go. Converting a string to a number flattens it in place: the trick of
 * pino's flatstr. It changes nothing but how the string is stored.
 */
function flat(s: string): string {
  Number(s);
  return s;
}

/**
 * Whether what the serializer reads of a value can never change: primitives, and plain objects and arrays
 * that are frozen, hold only data properties (a getter may answer differently each time) and the same all
 * the way down. Checked once per object, when its fragment is first written.
 */
function deeplyFrozen(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && !Array.isArray(value)) return false;
  if (!Object.isFrozen(value)) return false;
  for (const property of Object.values(Object.getOwnPropertyDescriptors(value))) {
    if (!("value" in property) || !deeplyFrozen(property.value)) return false;
  }
  return true;
}

function sourceOf(source: DecisionSource): string {
  return `,"source":{"type":${text(required(source.type, "type"))},"key":${text(required(source.key, "key"))}}`;
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`"${name}" is required!`);
  return value;
}

/** A string field; what is not a string is written as one, as the schema serializer does. */
function text(value: unknown): string {
  if (typeof value === "string") return quote(value);
  if (value === null) return '""';
  if (value instanceof Date) return `"${value.toISOString()}"`;
  if (value instanceof RegExp) return JSON.stringify(value.source);
  return JSON.stringify(String(value));
}

/**
 * A JSON string literal. Keys, ids and most messages are short and need no escaping: one look at each
 * character is cheaper than a call to JSON.stringify, which does the rest (control characters, quotes,
 * backslashes, lone surrogates, long strings).
 */
function quote(s: string): string {
  const n = s.length;
  if (n > 64) return JSON.stringify(s);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}

function integer(value: unknown): string {
  if (Number.isInteger(value)) return `${value}`;
  if (typeof value === "bigint") return value.toString();
  const n = Math.trunc(value as number);
  if (!Number.isFinite(n)) throw new Error(`The value "${value}" cannot be converted to an integer.`);
  return `${n}`;
}

/** A number or null; anything else (NaN, Infinity, a string) does not match the schema. */
function limitOf(limit: unknown): string {
  if (limit === null) return "null";
  if (typeof limit === "number" && Number.isFinite(limit)) return `${limit}`;
  throw new TypeError("The value of '#/properties/limit' does not match schema definition.");
}

function remediationOf(remediation: Remediation): string {
  let json = "";
  for (const key of ["plans", "roles", "scopes"] as const) {
    const list = remediation[key];
    if (list === undefined) continue;
    json += `${json === "" ? "{" : ","}"${key}":${strings(list, key)}`;
  }
  return `,"remediation":${json === "" ? "{}" : `${json}}`}`;
}

function strings(list: readonly unknown[] | null, key: string): string {
  if (list === null) return "[]";
  if (!Array.isArray(list)) {
    throw new TypeError(
      `The value of '#/properties/remediation/properties/${key}' does not match schema definition.`,
    );
  }
  let json = "[";
  for (let i = 0; i < list.length; i++) {
    if (i > 0) json += ",";
    json += text(list[i]);
  }
  return `${json}]`;
}
