import type { Api, ApiOperationRule } from "@tessera/sdk/core";
import { TesseraError } from "../../errors";
import { apiKey } from "../catalog/apis";
import { openApiToRouteTemplate } from "./openapi-routes";
import type { ApiOperation, OperationSecurity, ParsedApi } from "./openapi-types";
import { isUsableMajorVersion, MAX_MAJOR_VERSION } from "./openapi-version";

/**
 * An operation as the catalog stores it: what the evaluator reads (`name, method, path, alternatives`),
 * plus what the import read, so that the next import diffs against exactly what was imported.
 */
export interface StoredApiOperation extends ApiOperationRule {
  operationId?: string;
  variant?: string;
  summary?: string;
  tags: string[];
  deprecated?: boolean;
  security: OperationSecurity;
  /** Union of the alternatives: what to grant so that every alternative passes. */
  scopes: string[];
  /** The template as the document writes it, kept only where the route template had to escape a literal. */
  documentPath?: string;
}

/** An API as the import stores it through the catalog's `api` kind. */
export interface StoredApi extends Api {
  title: string;
  version: string;
  specVersion: string;
  basePath: string;
  operations: StoredApiOperation[];
}

export interface ApiIdentity {
  name: string;
  majorVersion: number;
  audience?: string | undefined;
}

/**
 * The catalog document of a parsed description. Operations without a `#variant` come first: the catalog
 * compiler keeps the first rule of each method and path shape, and a request to Box's `/files/{file_id}`
 * is `get_files_id`, not one of its variants. Otherwise the document's order is kept.
 */
export function toStoredApi(parsed: ParsedApi, identity: ApiIdentity): StoredApi {
  if (!isUsableMajorVersion(identity.majorVersion)) {
    // Only a derived major gets here: the body's schema bounds an explicit one the same way.
    const message =
      `The major version read from the document (info.version, or a version in the base path or the paths) ` +
      `is ${identity.majorVersion}, not an integer from 0 to ${MAX_MAJOR_VERSION}: give majorVersion explicitly`;
    throw new TesseraError("INVALID_API_DOCUMENT", message, [
      { pointer: "/majorVersion", message, code: "INVALID_API_DOCUMENT" },
    ]);
  }
  const primaries = parsed.operations.filter((o) => o.variant === undefined);
  const variants = parsed.operations.filter((o) => o.variant !== undefined);
  return {
    key: apiKey(identity.name, identity.majorVersion),
    name: identity.name,
    majorVersion: identity.majorVersion,
    title: parsed.title,
    version: parsed.version,
    specVersion: parsed.specVersion,
    basePath: parsed.basePath,
    ...(identity.audience === undefined ? {} : { audience: identity.audience }),
    scopes: parsed.scopes.map((s) => (s.description === undefined ? { name: s.name } : { ...s })),
    operations: [...primaries, ...variants].map(toStoredOperation),
  };
}

function toStoredOperation(o: ApiOperation): StoredApiOperation {
  const path = openApiToRouteTemplate(o.path);
  return {
    name: o.name,
    method: o.method,
    path,
    alternatives: o.alternatives,
    ...(o.operationId === undefined ? {} : { operationId: o.operationId }),
    ...(o.variant === undefined ? {} : { variant: o.variant }),
    ...(o.summary === undefined ? {} : { summary: o.summary }),
    tags: o.tags,
    ...(o.deprecated ? { deprecated: true } : {}),
    security: o.security,
    scopes: o.scopes,
    ...(path === o.path ? {} : { documentPath: o.path }),
  };
}

/**
 * A stored API read back as the parser's output, for diffing against the next import. An API written by
 * other means (a state file, an older import) lacks the import's extra fields: they are derived from what
 * the evaluator reads, so the diff shows real changes rather than missing metadata.
 */
export function toParsedApi(api: Api): ParsedApi {
  const stored = api as Partial<StoredApi> & Api;
  return {
    title: stored.title ?? api.name,
    version: stored.version ?? String(api.majorVersion),
    majorVersion: api.majorVersion,
    specVersion: stored.specVersion ?? "",
    basePath: stored.basePath ?? "",
    operations: api.operations.map((rule) =>
      toApiOperation(rule as Partial<StoredApiOperation> & ApiOperationRule),
    ),
    scopes: api.scopes.map((s) =>
      s.description === undefined ? { name: s.name } : { name: s.name, description: s.description },
    ),
    warnings: [],
  };
}

function toApiOperation(rule: Partial<StoredApiOperation> & ApiOperationRule): ApiOperation {
  return {
    ...(rule.operationId === undefined ? {} : { operationId: rule.operationId }),
    name: rule.name,
    method: rule.method,
    path: rule.documentPath ?? rule.path,
    ...(rule.variant === undefined ? {} : { variant: rule.variant }),
    pointer: "",
    ...(rule.summary === undefined ? {} : { summary: rule.summary }),
    tags: rule.tags ?? [],
    ...(rule.deprecated ? { deprecated: true } : {}),
    scopes: rule.scopes ?? [...new Set(rule.alternatives.flat())],
    alternatives: rule.alternatives,
    security: rule.security ?? (rule.alternatives.length === 0 ? "public" : "scopes"),
  };
}

/** Every scope an API knows: declared by its schemes or required by an operation (as the core counts). */
export function declaredScopes(api: Api): Set<string> {
  const scopes = new Set(api.scopes.map((s) => s.name));
  for (const op of api.operations)
    for (const alternative of op.alternatives) for (const s of alternative) scopes.add(s);
  return scopes;
}
