import { parseTemplate } from "@tessera/sdk/core";
import {
  assertNoExternalRefs,
  HTTP_METHODS,
  isObject,
  type JsonObject,
  readDocument,
  resolveRefs,
} from "./openapi-load";
import { openApiToRouteTemplate } from "./openapi-routes";
import {
  operationAccess,
  ownScopeOf,
  readRequirements,
  readSecuritySchemes,
  type SecurityRequirement,
} from "./openapi-security";
import {
  ApiDocumentError,
  type ApiOperation,
  type ApiScope,
  type ApiWarning,
  type ParsedApi,
  pointerToken,
} from "./openapi-types";
import { deriveMajorVersion, readBasePath } from "./openapi-version";

/**
 * Reads an OpenAPI 3.0 / 3.1 or Swagger 2.0 description (JSON or YAML text, or a parsed object) into the
 * operations and scopes Tessera gates. Throws ApiDocumentError (INVALID_API_DOCUMENT) for anything else.
 * Callbacks and webhooks are requests the API makes, not operations it serves, so they are not read.
 */
export async function parseApiDocument(input: string | object): Promise<ParsedApi> {
  const raw = readDocument(input);
  const specVersion = readSpecVersion(raw);
  const info = readInfo(raw);
  assertNoExternalRefs(raw);
  const document = await resolveRefs(raw);

  const warnings: ApiWarning[] = [];
  const schemes = readSecuritySchemes(document);
  const context: OperationContext = {
    documentSecurity: readRequirements(document.security, "/security"),
    schemeNames: schemes.names,
    warnings,
  };
  const operations = readOperations(document, context);
  const basePath = readBasePath(document, warnings);
  return {
    title: info.title,
    version: info.version,
    majorVersion: deriveMajorVersion(
      info.version,
      basePath,
      operations.map((o) => o.path),
    ),
    specVersion,
    basePath,
    operations,
    scopes: scopeCatalog(schemes.scopes, operations),
    warnings,
  };
}

function readSpecVersion(document: JsonObject): string {
  if (document.swagger !== undefined) {
    if (String(document.swagger) !== "2.0") {
      throw new ApiDocumentError(
        `Swagger ${String(document.swagger)} is not supported; only 2.0 is`,
        "/swagger",
      );
    }
    return "2.0";
  }
  if (document.openapi === undefined) {
    throw new ApiDocumentError("Not an API description: there is neither an openapi nor a swagger field", "");
  }
  const version = String(document.openapi);
  if (typeof document.openapi !== "string" || !/^3\.[01]\.\d+/.test(version)) {
    throw new ApiDocumentError(`OpenAPI ${version} is not supported; 3.0.x and 3.1.x are`, "/openapi");
  }
  return version;
}

function readInfo(document: JsonObject): { title: string; version: string } {
  const info = document.info;
  if (!isObject(info)) throw new ApiDocumentError("info is required", "/info");
  if (typeof info.title !== "string" || info.title.trim() === "") {
    throw new ApiDocumentError("info.title is required", "/info/title");
  }
  // YAML reads `version: 2.0` as a number: keep what was meant.
  if (typeof info.version !== "string" && typeof info.version !== "number") {
    throw new ApiDocumentError("info.version is required", "/info/version");
  }
  return { title: info.title.trim(), version: String(info.version) };
}

interface OperationContext {
  documentSecurity: SecurityRequirement[] | undefined;
  schemeNames: Set<string>;
  warnings: ApiWarning[];
}

function readOperations(document: JsonObject, context: OperationContext): ApiOperation[] {
  const paths = document.paths;
  if (paths === undefined) return [];
  if (!isObject(paths)) throw new ApiDocumentError("paths must be an object", "/paths");

  const operations: ApiOperation[] = [];
  const byName = new Map<string, string>();
  for (const [key, item] of Object.entries(paths)) {
    if (key.startsWith("x-")) continue;
    const itemPointer = `/paths/${pointerToken(key)}`;
    if (!key.startsWith("/")) throw new ApiDocumentError(`Path ${key} must start with /`, itemPointer);
    if (!isObject(item) || typeof item.$ref === "string") {
      throw new ApiDocumentError(`Path ${key} is not a path item (or its $ref is circular)`, itemPointer);
    }
    const { path, variant } = routePath(key, itemPointer);

    for (const method of HTTP_METHODS) {
      const raw = item[method];
      if (raw === undefined) continue;
      const pointer = `${itemPointer}/${method}`;
      if (!isObject(raw)) throw new ApiDocumentError("An operation must be an object", pointer);
      const operation = readOperation(
        raw,
        { method: method.toUpperCase(), key, path, variant, pointer, item },
        context,
      );
      const clash = byName.get(operation.name);
      if (clash !== undefined) {
        throw new ApiDocumentError(
          `Operation ${operation.name} is defined twice (also at ${clash})`,
          pointer,
        );
      }
      byName.set(operation.name, pointer);
      operations.push(operation);
    }
  }
  warnShadowed(operations, context.warnings);
  return operations;
}

/**
 * Two operations (neither a `#variant`) that are the same request, as `/a/{id}` and `/a/{name}` are: a route
 * check cannot tell them apart and answers for the first (toRouteDefinitions), so the second is never
 * reached. Imported all the same, with a warning that names both.
 */
function warnShadowed(operations: ApiOperation[], warnings: ApiWarning[]): void {
  const first = new Map<string, ApiOperation>();
  for (const operation of operations) {
    if (operation.variant !== undefined) continue;
    const request = `${operation.method} ${parseTemplate(openApiToRouteTemplate(operation.path)).shape}`;
    const earlier = first.get(request);
    if (earlier === undefined) {
      first.set(request, operation);
      continue;
    }
    warnings.push({
      pointer: operation.pointer,
      message:
        `Operation ${operation.name} is the same request as ${earlier.name} (${operation.method} ` +
        `${operation.path} and ${earlier.path}): route checks answer for ${earlier.name}, never for it`,
    });
  }
}

interface OperationPlace {
  method: string;
  /** The key in `paths`, as written. */
  key: string;
  path: string;
  variant: string | undefined;
  pointer: string;
  item: JsonObject;
}

function readOperation(raw: JsonObject, place: OperationPlace, context: OperationContext): ApiOperation {
  const { method, key, path, variant, pointer, item } = place;
  if (raw.operationId !== undefined && (typeof raw.operationId !== "string" || raw.operationId === "")) {
    throw new ApiDocumentError("operationId must be a non-empty string", `${pointer}/operationId`);
  }
  const operationId = raw.operationId as string | undefined;
  const name = operationId ?? `${method} ${key}`;

  const own = readRequirements(raw.security, `${pointer}/security`);
  const requirements = own ?? context.documentSecurity;
  for (const scheme of new Set(requirements?.flatMap((r) => [...r.keys()]))) {
    if (!context.schemeNames.has(scheme)) {
      context.warnings.push({
        pointer: own ? `${pointer}/security` : "/security",
        message: `Security scheme ${scheme} is not defined`,
      });
    }
  }

  const summary = typeof raw.summary === "string" ? raw.summary : item.summary;
  const tags = Array.isArray(raw.tags) ? raw.tags.filter((t): t is string => typeof t === "string") : [];
  return {
    ...(operationId === undefined ? {} : { operationId }),
    name,
    method,
    path,
    ...(variant === undefined ? {} : { variant }),
    pointer,
    ...(typeof summary === "string" ? { summary } : {}),
    tags,
    ...(raw.deprecated === true ? { deprecated: true } : {}),
    ...operationAccess(requirements, ownScopeOf(operationId, method, key)),
  };
}

/**
 * The path a request uses: Box describes one endpoint several ways (`/files/{id}#get_shared_link`), and
 * the part after `#` is not sent. The route table must accept the template, or the import is refused now
 * rather than when the catalog compiles.
 */
function routePath(key: string, pointer: string): { path: string; variant: string | undefined } {
  const hash = key.indexOf("#");
  const path = hash === -1 ? key : key.slice(0, hash);
  const variant = hash === -1 ? undefined : key.slice(hash + 1);
  try {
    parseTemplate(openApiToRouteTemplate(path));
  } catch (error) {
    throw new ApiDocumentError(`Path ${key} is not a usable template: ${(error as Error).message}`, pointer);
  }
  return { path, variant };
}

/** Scopes the schemes define, then scopes operations require that no scheme defined, each once. */
function scopeCatalog(defined: ApiScope[], operations: ApiOperation[]): ApiScope[] {
  const catalog = new Map(defined.map((scope) => [scope.name, scope]));
  for (const operation of operations) {
    for (const name of operation.scopes) {
      if (catalog.has(name)) continue;
      // An operation's own scope is described by what the operation does.
      const key = operation.variant === undefined ? operation.path : `${operation.path}#${operation.variant}`;
      const own = ownScopeOf(operation.operationId, operation.method, key);
      const description = name === own ? operation.summary : undefined;
      catalog.set(name, description === undefined ? { name } : { name, description });
    }
  }
  return [...catalog.values()];
}
