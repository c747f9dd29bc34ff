import { transformer } from "@openfga/syntax-transformer";
import type { relations } from "@tessera/sdk/core";
import { TesseraError } from "../../errors";

/**
 * OpenFGA's DSL (schema 1.1) ↔ its JSON form, through OpenFGA's own transformer so both read exactly as
 * OpenFGA's tools write them.
 */
export function dslToJson(dsl: string): relations.AuthorizationModelJson {
  try {
    return transformer.transformDSLToJSONObject(dsl) as unknown as relations.AuthorizationModelJson;
  } catch (error) {
    const list = (error as { errors?: { message?: string; line?: { start: number } }[] }).errors;
    const errors = (list && list.length > 0 ? list : [{ message: (error as Error).message }]).map((e) => ({
      pointer: "/dsl",
      message: e.line ? `line ${e.line.start + 1}: ${e.message}` : String(e.message),
      code: "INVALID_MODEL",
    }));
    throw new TesseraError("INVALID_MODEL", "The DSL does not parse.", errors);
  }
}

/** The DSL of a JSON model, or null when the transformer cannot render it. */
export function jsonToDsl(json: relations.AuthorizationModelJson): string | null {
  try {
    return transformer.transformJSONToDSL(json as never);
  } catch {
    return null;
  }
}
