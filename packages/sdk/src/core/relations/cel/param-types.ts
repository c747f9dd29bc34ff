import type { ConditionParamTypeJson } from "../model-json";
import {
  CelDuration,
  CelEvalError,
  CelIp,
  CelTimestamp,
  CelUint,
  checkInt,
  checkUint,
  parseDuration,
  parseIp,
  parseTimestamp,
} from "./values";

/** The parameter types OpenFGA supports, by their names in the JSON model. */
type ScalarName =
  | "bool"
  | "string"
  | "int"
  | "uint"
  | "double"
  | "duration"
  | "timestamp"
  | "ipaddress"
  | "any";

export type ParamType = { name: ScalarName } | { name: "list" | "map"; of: ParamType };

const SCALARS: Record<string, ScalarName> = {
  TYPE_NAME_BOOL: "bool",
  TYPE_NAME_STRING: "string",
  TYPE_NAME_INT: "int",
  TYPE_NAME_UINT: "uint",
  TYPE_NAME_DOUBLE: "double",
  TYPE_NAME_DURATION: "duration",
  TYPE_NAME_TIMESTAMP: "timestamp",
  TYPE_NAME_IPADDRESS: "ipaddress",
  TYPE_NAME_ANY: "any",
};

export function paramTypeFromJson(json: ConditionParamTypeJson): ParamType | string {
  if (json.type_name === "TYPE_NAME_LIST" || json.type_name === "TYPE_NAME_MAP") {
    const inner = json.generic_types?.[0];
    if (!inner || (json.generic_types?.length ?? 0) !== 1)
      return `${json.type_name} needs exactly one generic type`;
    const of = paramTypeFromJson(inner);
    if (typeof of === "string") return of;
    return { name: json.type_name === "TYPE_NAME_LIST" ? "list" : "map", of };
  }
  const name = SCALARS[json.type_name];
  return name ? { name } : `unsupported parameter type '${json.type_name}'`;
}

export function describeParamType(t: ParamType): string {
  return "of" in t ? `${t.name}<${describeParamType(t.of)}>` : t.name;
}

/** Turns a JSON context value into the CEL value of the declared type; throws CelEvalError when it does not fit. */
export function toCelValue(t: ParamType, v: unknown): unknown {
  switch (t.name) {
    case "bool":
      if (typeof v === "boolean") return v;
      break;
    case "string":
      if (typeof v === "string") return v;
      break;
    case "int":
      if (typeof v === "bigint") return checkInt(v);
      if (typeof v === "number" && Number.isInteger(v)) return checkInt(BigInt(v));
      if (typeof v === "string" && /^-?\d+$/.test(v)) return checkInt(BigInt(v));
      break;
    case "uint":
      if (v instanceof CelUint) return v;
      if (typeof v === "number" && Number.isInteger(v) && v >= 0) return checkUint(BigInt(v));
      if (typeof v === "string" && /^\d+$/.test(v)) return checkUint(BigInt(v));
      break;
    case "double":
      // JSON has no infinities: a value past the double range is an overflow, not Infinity.
      if (typeof v === "number" && Number.isFinite(v)) return v;
      if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
      break;
    case "duration":
      if (v instanceof CelDuration) return v;
      if (typeof v === "string") return parseDuration(v);
      break;
    case "timestamp":
      if (v instanceof CelTimestamp) return v;
      if (typeof v === "string") return parseTimestamp(v);
      break;
    case "ipaddress":
      if (v instanceof CelIp) return v;
      if (typeof v === "string") return parseIp(v);
      break;
    case "any":
      return fromJson(v);
    case "list":
      if (Array.isArray(v)) return v.map((x) => toCelValue(t.of, x));
      break;
    case "map":
      if (v !== null && typeof v === "object" && !Array.isArray(v)) {
        const m = new Map<unknown, unknown>();
        for (const [k, x] of Object.entries(v)) m.set(k, toCelValue(t.of, x));
        return m;
      }
      break;
  }
  throw new CelEvalError(`expected a ${describeParamType(t)}, got ${JSON.stringify(v)}`);
}

/** JSON as CEL sees it (google.protobuf.Value): numbers are doubles, objects are maps. */
function fromJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromJson);
  if (v !== null && typeof v === "object") {
    const m = new Map<unknown, unknown>();
    for (const [k, x] of Object.entries(v)) m.set(k, fromJson(x));
    return m;
  }
  return v;
}
