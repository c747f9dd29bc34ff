import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { fullFormats } from "ajv-formats/dist/formats.js";
import type { FastifySchemaCompiler } from "fastify";
import type { FieldError } from "../errors";
import { isStorableText } from "../storage/storable-text";

const rfc3339 = fullFormats["date-time"] as { validate: (value: string) => boolean };

/**
 * RFC 3339 date-times that both JavaScript and PostgreSQL read. ajv-formats also accepts a leap second
 * (23:59:60) and an offset in hours alone (+05), which Date.parse cannot read, and the year 0000, which
 * PostgreSQL does not have. Every stored time is read back with Date.parse when the snapshot is compiled,
 * where a subscription or grant whose time does not parse grants nothing (snapshot.ts, storedTime): a value
 * that passed here would be saved, answered 201, and then silently deny. And the instant must fall in the
 * years 1–9999 in UTC, as stored: 9999-12-31T23:59:59-14:00 is in the year 10000, which PostgreSQL refused
 * (a 500) and JavaScript writes as +010000-…, a value this very format then refused on the way back in.
 */
function isDateTime(value: string): boolean {
  if (!rfc3339.validate(value) || value.startsWith("0000")) return false;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return false;
  const year = new Date(ms).getUTCFullYear();
  return year >= 1 && year <= 9999;
}

function makeAjv(coerceTypes: boolean | "array") {
  // allErrors: name every invalid field at once. removeAdditional off: an unknown field is a typo to
  // report, not something to drop in silence.
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
  });
  addFormats.default(ajv);
  ajv.addFormat("date-time", { type: "string", validate: isDateTime });
  return ajv;
}

/** Bodies are JSON and are taken as typed: "5" is not a number. Query strings and params are text. */
const bodyAjv = makeAjv(false);
const textAjv = makeAjv("array");

type Validator = ReturnType<FastifySchemaCompiler<object>>;

/** Schema validation alone: for the routes that only read the in-memory snapshot (decisions). */
export const schemaValidatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const ajv = httpPart === "body" ? bodyAjv : textAjv;
  const validate = ajv.compile(schema);
  return (httpPart === "querystring" ? namingRepeats(validate) : validate) as Validator;
};

/**
 * A parameter given twice (`?limit=1&limit=2`) reaches the schema as an array, which a scalar parameter
 * refuses as "must be integer": true, but it names neither the cause nor the cure. No query parameter of
 * the API is an array, so such an error becomes one that says the parameter was repeated. A parameter
 * whose schema takes an array would validate, and never get here.
 */
function namingRepeats(validate: ValidateFunction): ValidateFunction {
  const checked = ((data: unknown) => {
    const valid = validate(data);
    checked.errors = valid ? null : (validate.errors ?? []).map((e) => asRepeat(e, data));
    return valid;
  }) as ValidateFunction;
  checked.errors = null;
  return checked;
}

function asRepeat(error: ErrorObject, query: unknown): ErrorObject {
  if (error.keyword !== "type" || !/^\/[^/]+$/.test(error.instancePath)) return error;
  const name = error.instancePath.slice(1).replaceAll("~1", "/").replaceAll("~0", "~");
  const value = (query as Record<string, unknown> | null)?.[name];
  if (!Array.isArray(value)) return error;
  return {
    ...error,
    keyword: "repeated",
    params: { count: value.length },
    message: `is given ${value.length} times; it takes one value`,
  };
}

/**
 * Schema validation, then values the database can store as they were sent:
 * - text: PostgreSQL's text and jsonb take neither NUL nor half of a surrogate pair, and would fail the
 *   write (a 500) instead of naming the field (a 400);
 * - numbers: a literal too large for a double (1e400) parses as Infinity, which JSON cannot hold, so a
 *   free-form value (an attribute, a config value) would be stored as null without a word.
 * Checked in every part of every request that may reach the database: the body, the path and the query.
 */
export const validatorCompiler: FastifySchemaCompiler<object> = (route) => {
  const validate = schemaValidatorCompiler(route) as ValidateFunction;
  const checked = (data: unknown): boolean => {
    if (!validate(data)) {
      checked.errors = validate.errors;
      return false;
    }
    const found = unstorable(data, "");
    checked.errors = found === undefined ? null : [unstorableError(found)];
    return found === undefined;
  };
  checked.errors = null as ErrorObject[] | null | undefined;
  return checked as Validator;
};

interface Unstorable {
  pointer: string;
  what: "text" | "number" | "depth";
}

/**
 * How deeply objects and arrays may nest in a body. No field of the API needs more than a few levels; far
 * deeper JSON overflowed this walk's stack (a 500), and would overflow PostgreSQL's when stored as jsonb.
 */
export const MAX_NESTING = 64;

/** The first value (or key) the database cannot store as it is, if any, with its JSON pointer. */
function unstorable(value: unknown, pointer: string, depth = 0): Unstorable | undefined {
  if (typeof value === "string") return isStorableText(value) ? undefined : { pointer, what: "text" };
  if (typeof value === "number") return Number.isFinite(value) ? undefined : { pointer, what: "number" };
  if (typeof value !== "object" || value === null) return undefined;
  if (depth >= MAX_NESTING) return { pointer, what: "depth" };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorable(value[i], `${pointer}/${i}`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const at = `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
    if (!isStorableText(key)) return { pointer: at, what: "text" };
    const found = unstorable(item, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function unstorableError({ pointer, what }: Unstorable): ErrorObject {
  return {
    instancePath: pointer,
    keyword: what,
    schemaPath: "",
    params: {},
    message:
      what === "text"
        ? "must not contain a NUL character or an unpaired surrogate"
        : what === "number"
          ? "must be a finite number (this one is too large for a 64-bit float)"
          : `must not nest objects and arrays more than ${MAX_NESTING} deep`,
  };
}

export function toFieldErrors(errors: ErrorObject[], part: string): FieldError[] {
  return foldChoices(errors).map((e) => {
    let pointer = e.instancePath || "";
    if (e.keyword === "required") pointer += `/${(e.params as { missingProperty: string }).missingProperty}`;
    if (e.keyword === "additionalProperties") {
      pointer += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
    }
    const where = part === "body" ? "" : `${part}:`;
    return { pointer: `${where}${pointer || "/"}`, message: describe(e), code: e.keyword };
  });
}

/**
 * A field that must be one of a few words (a feature's type, a flag's operator) is a union of constants in
 * the schema, and ajv reports a wrong word as one "must be equal to constant" per allowed word and then
 * "must match a schema in anyOf": a list that names none of the words. Where every branch of an anyOf
 * failed on its constant alone, the lot becomes one error that names them, as ajv's own `enum` would.
 */
function foldChoices(errors: ErrorObject[]): ErrorObject[] {
  // Each error folded away maps to undefined; each anyOf to the error that stands in its place.
  const folded = new Map<ErrorObject, ErrorObject | undefined>();
  for (const e of errors) {
    if (e.keyword !== "anyOf") continue;
    const branches = errors.filter(
      (b) => b !== e && b.instancePath === e.instancePath && b.schemaPath.startsWith(`${e.schemaPath}/`),
    );
    if (branches.length === 0 || !branches.every((b) => b.keyword === "const")) continue;
    for (const b of branches) folded.set(b, undefined);
    const allowedValues = branches.map((b) => (b.params as { allowedValue: unknown }).allowedValue);
    const message = `must be one of ${allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
    folded.set(e, { ...e, keyword: "enum", params: { allowedValues }, message });
  }
  if (folded.size === 0) return errors;
  return errors.flatMap((e) => {
    if (!folded.has(e)) return [e];
    const replacement = folded.get(e);
    return replacement ? [replacement] : [];
  });
}

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case "additionalProperties":
      return `unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case "required":
      return `missing required field "${(e.params as { missingProperty: string }).missingProperty}"`;
    default:
      return e.message ?? "invalid";
  }
}
