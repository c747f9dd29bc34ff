import { isObject, type JsonObject } from "./openapi-load";
import { ApiDocumentError, type ApiScope, type OperationSecurity, pointerToken } from "./openapi-types";

/** One Security Requirement Object: every scheme named must pass (AND), with the scopes it lists. */
export type SecurityRequirement = Map<string, string[]>;

export interface OperationAccess {
  security: OperationSecurity;
  alternatives: string[][];
  scopes: string[];
}

export interface SecuritySchemes {
  names: Set<string>;
  /** Scopes the OAuth2 flows define, in document order, with their descriptions. */
  scopes: ApiScope[];
}

/** OpenAPI 3 `components.securitySchemes`, or Swagger 2 `securityDefinitions`. */
export function readSecuritySchemes(document: JsonObject): SecuritySchemes {
  const swagger = document.swagger !== undefined;
  const components = isObject(document.components) ? document.components : undefined;
  const definitions = swagger ? document.securityDefinitions : components?.securitySchemes;
  const pointer = swagger ? "/securityDefinitions" : "/components/securitySchemes";
  if (definitions === undefined) return { names: new Set(), scopes: [] };
  if (!isObject(definitions)) throw new ApiDocumentError("Security schemes must be an object", pointer);

  const scopes = new Map<string, string | undefined>();
  const collect = (map: unknown, at: string) => {
    if (!isObject(map)) return;
    for (const [name, description] of Object.entries(map)) {
      assertScopeToken(name, `${at}/${pointerToken(name)}`);
      if (!scopes.has(name) || scopes.get(name) === undefined) {
        scopes.set(name, typeof description === "string" && description !== "" ? description : undefined);
      }
    }
  };
  for (const [name, scheme] of Object.entries(definitions)) {
    if (!isObject(scheme)) {
      throw new ApiDocumentError(
        `Security scheme ${name} must be an object`,
        `${pointer}/${pointerToken(name)}`,
      );
    }
    if (scheme.type !== "oauth2") continue;
    const at = `${pointer}/${pointerToken(name)}`;
    if (swagger) collect(scheme.scopes, `${at}/scopes`);
    else if (isObject(scheme.flows)) {
      for (const [flowName, flow] of Object.entries(scheme.flows))
        if (isObject(flow)) collect(flow.scopes, `${at}/flows/${pointerToken(flowName)}/scopes`);
    }
  }
  return {
    names: new Set(Object.keys(definitions)),
    scopes: [...scopes].map(([name, description]) =>
      description === undefined ? { name } : { name, description },
    ),
  };
}

/** RFC 6749's scope-token: printable ASCII but space, `"` and `\`. A space is what separates scopes. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Refuses a scope a token cannot carry: `"pets read"` would reach a gateway as the two scopes "pets" and
 * "read", refusing whoever holds it and letting in whoever holds `read`.
 */
function assertScopeToken(scope: string, pointer: string): void {
  if (SCOPE_TOKEN.test(scope)) return;
  throw new ApiDocumentError(
    `Scope ${JSON.stringify(scope)} is not an OAuth scope token: it must be printable ASCII without spaces, " or \\`,
    pointer,
  );
}

/**
 * The scope an operation needs when its document lists none: its operationId, else `method:/path` (the path
 * as `paths` keys it). A token carries scopes space-separated, so a character a scope-token cannot hold (a
 * space, `"`, `\`, anything outside printable ASCII) is percent-encoded as UTF-8: `list pets` is
 * `list%20pets`.
 */
export function ownScopeOf(operationId: string | undefined, method: string, key: string): string {
  const text = operationId ?? `${method}:${key}`;
  if (SCOPE_TOKEN.test(text)) return text;
  let scope = "";
  for (const char of text) {
    scope += SCOPE_TOKEN.test(char)
      ? char
      : [...new TextEncoder().encode(char)]
          .map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`)
          .join("");
  }
  return scope;
}

/** Validates a `security` value: undefined when absent, else its requirements. */
export function readRequirements(value: unknown, pointer: string): SecurityRequirement[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new ApiDocumentError("security must be an array of requirements", pointer);
  return value.map((requirement, i) => {
    const at = `${pointer}/${i}`;
    if (!isObject(requirement)) throw new ApiDocumentError("A security requirement must be an object", at);
    const parsed: SecurityRequirement = new Map();
    for (const [scheme, scopes] of Object.entries(requirement)) {
      if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === "string")) {
        throw new ApiDocumentError(
          `Scopes of ${scheme} must be a list of strings`,
          `${at}/${pointerToken(scheme)}`,
        );
      }
      for (const [j, scope] of (scopes as string[]).entries())
        assertScopeToken(scope, `${at}/${pointerToken(scheme)}/${j}`);
      parsed.set(scheme, scopes as string[]);
    }
    return parsed;
  });
}

/**
 * What a caller needs to call an operation. `requirements` is the operation's own `security` when it has
 * one (it replaces the document's), else the document's. A requirement that lists no scope (HTTP basic,
 * an API key, OAuth2 with `[]`) still authenticates someone, so it requires the operation's own scope:
 * Tessera gates every non-public operation by some scope. Scopes are read from any scheme, not only
 * OAuth2: OpenAPI 3.1 allows them on others.
 */
export function operationAccess(
  requirements: SecurityRequirement[] | undefined,
  ownScope: string,
): OperationAccess {
  if (requirements === undefined)
    return { security: "operationId", alternatives: [[ownScope]], scopes: [ownScope] };
  // `[]` turns security off; a `{}` among the alternatives makes authentication optional. Either way anyone may call.
  if (requirements.length === 0 || requirements.some((r) => r.size === 0)) {
    return { security: "public", alternatives: [], scopes: [] };
  }

  let declared = false;
  const alternatives: string[][] = [];
  const seen = new Set<string>();
  for (const requirement of requirements) {
    const scopes = [...new Set([...requirement.values()].flat())];
    if (scopes.length > 0) declared = true;
    const alternative = scopes.length > 0 ? scopes : [ownScope];
    const key = JSON.stringify([...alternative].sort());
    if (seen.has(key)) continue;
    seen.add(key);
    alternatives.push(alternative);
  }
  return {
    security: declared ? "scopes" : "operationId",
    alternatives,
    scopes: [...new Set(alternatives.flat())],
  };
}
