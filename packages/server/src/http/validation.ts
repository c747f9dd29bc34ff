import { Ajv, type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";
import type { FieldError } from "../errors";

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
  return ajv;
}

/** Bodies are JSON and are taken as typed: "5" is not a number. Query strings and params are text. */
const bodyAjv = makeAjv(false);
const textAjv = makeAjv("array");

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const ajv = httpPart === "body" ? bodyAjv : textAjv;
  return ajv.compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
};

export function toFieldErrors(errors: ErrorObject[], part: string): FieldError[] {
  return errors.map((e) => {
    let pointer = e.instancePath || "";
    if (e.keyword === "required") pointer += `/${(e.params as { missingProperty: string }).missingProperty}`;
    if (e.keyword === "additionalProperties") {
      pointer += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
    }
    const where = part === "body" ? "" : `${part}:`;
    return { pointer: `${where}${pointer || "/"}`, message: describe(e), code: e.keyword };
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
