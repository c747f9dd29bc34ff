import { type Decision, REASON_CODES, type Remediation } from "@tessera/sdk/core";

/**
 * The decision body, written by hand: the hottest response of the service. It writes exactly what Fastify's
 * schema serializer (fast-json-stringify over DecisionSchema) writes, byte for byte and in the same order
 * (required fields, then optional ones), and refuses what it refuses; serialize.test.ts holds the two
 * together. It is faster because it knows the shape: the reason is looked up rather than tried against
 * each code of the schema's union in turn, and the strings are escaped by JSON.stringify in one native call.
 * Fields outside the schema (validUntil) are left out, as the schema leaves them out.
 */
export function serializeDecision(d: Decision): string {
  let json = `{"entitled":${d.entitled ? "true" : "false"},"reason":${reasonOf(d.reason)},"message":${text(
    required(d.message, "message"),
  )},"decisionId":${text(required(d.decisionId, "decisionId"))},"revision":${integer(
    required(d.revision, "revision"),
  )}`;
  const { source, value, limit, remediation } = d;
  if (source !== undefined) {
    json +=
      source === null
        ? ',"source":{}'
        : `,"source":{"type":${text(required(source.type, "type"))},"key":${text(required(source.key, "key"))}}`;
  }
  if (value !== undefined) json += `,"value":${JSON.stringify(value)}`;
  if (limit !== undefined) json += `,"limit":${limitOf(limit)}`;
  if (remediation !== undefined) json += `,"remediation":${remediationOf(remediation)}`;
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

function remediationOf(remediation: Remediation | null): string {
  if (remediation === null) return "{}";
  let json = "";
  for (const key of ["plans", "roles", "scopes"] as const) {
    const list = remediation[key];
    if (list === undefined) continue;
    json += `${json === "" ? "{" : ","}"${key}":${strings(list, key)}`;
  }
  return json === "" ? "{}" : `${json}}`;
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
