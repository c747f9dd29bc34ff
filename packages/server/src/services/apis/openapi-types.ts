/** How an operation's required scopes were found. */
export type OperationSecurity =
  /** Its security requirements list scopes (OAuth2, OpenID Connect, or any scheme that lists some). */
  | "scopes"
  /** It declares none: its own name is its scope (operationId, else `METHOD /path`). */
  | "operationId"
  /** `security: []`, or a requirement list that allows anonymous calls (`{}`). */
  | "public";

export interface ApiOperation {
  operationId?: string;
  /** Stable key of the operation: operationId, else `METHOD /path/template` as the document writes it. */
  name: string;
  /** Upper case. */
  method: string;
  /**
   * The document's path template, without the server base path (see `ParsedApi.basePath`) and without a
   * `#variant` suffix some documents (Box) use to describe one endpoint twice.
   */
  path: string;
  /** The `#suffix` of a path key that describes a variant of another operation's endpoint (Box does). */
  variant?: string;
  /** JSON pointer to the operation in the document. */
  pointer: string;
  summary?: string;
  tags: string[];
  deprecated?: boolean;
  /** Union of every alternative: what to grant so that each alternative passes. */
  scopes: string[];
  /**
   * The security requirements, OR of ANDs: a caller passes when it holds every scope of any one list.
   * Empty for a public operation. A requirement that names no scope requires the operation's own name.
   */
  alternatives: string[][];
  security: OperationSecurity;
}

export interface ApiScope {
  name: string;
  description?: string;
}

/** Something odd but importable: the import goes on, the console can show it. */
export interface ApiWarning {
  pointer: string;
  message: string;
}

export interface ParsedApi {
  title: string;
  version: string;
  /** Entitlements are kept per major version; see `deriveMajorVersion` for where it comes from. */
  majorVersion: number;
  /** `openapi` or `swagger` as written: "3.1.0", "2.0". */
  specVersion: string;
  /**
   * Path of the first server URL (OpenAPI 3, variables at their defaults) or Swagger's `basePath`: "/2.0",
   * "/api/v3"; "" when there is none. Operation paths do not include it.
   */
  basePath: string;
  operations: ApiOperation[];
  /** Scopes the security schemes define (with descriptions), then any other scope an operation requires. */
  scopes: ApiScope[];
  warnings: ApiWarning[];
}

/** Thrown for input that is not an importable API description. */
export class ApiDocumentError extends Error {
  readonly code = "INVALID_API_DOCUMENT";
  /** JSON pointer to the offending value, when known ("" is the whole document). */
  readonly pointer: string | undefined;

  constructor(message: string, pointer?: string) {
    super(pointer === undefined ? message : `${message} (at ${pointer === "" ? "/" : pointer})`);
    this.name = "ApiDocumentError";
    this.pointer = pointer;
  }
}

export function isApiDocumentError(error: unknown): error is ApiDocumentError {
  return error instanceof ApiDocumentError;
}

/** Escapes one JSON pointer token (RFC 6901). */
export function pointerToken(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}
