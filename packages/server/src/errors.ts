/**
 * The one catalog of error codes. Each code has exactly one HTTP status; the `satisfies` below makes a code
 * without a status a compile error. Codes are stable: clients branch on them, so never rename one.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  INVALID_CURSOR: 400,
  INVALID_MODEL: 400,
  INVALID_TUPLE: 400,
  UNKNOWN_TYPE: 400,
  UNKNOWN_RELATION: 400,
  CONDITION_ERROR: 400,
  UNAUTHENTICATED: 401,
  TOKEN_REVOKED: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ENDPOINT_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  DUPLICATE_KEY: 409,
  RESOURCE_IN_USE: 409,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REFERENCE_NOT_FOUND: 422,
  TYPE_MISMATCH: 422,
  INVALID_STATE: 422,
  RELATION_DEPTH_EXCEEDED: 422,
  INVALID_API_DOCUMENT: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

const TITLES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: "The request is not valid",
  MALFORMED_JSON: "The body is not valid JSON",
  INVALID_CURSOR: "The pagination cursor is not valid",
  INVALID_MODEL: "The relationship model is not valid",
  INVALID_TUPLE: "A relationship tuple is not valid",
  UNKNOWN_TYPE: "The type is not in the relationship model",
  UNKNOWN_RELATION: "The relation is not in the relationship model",
  CONDITION_ERROR: "A relationship condition could not be evaluated",
  UNAUTHENTICATED: "A valid credential is required",
  TOKEN_REVOKED: "The credential has been revoked",
  TOKEN_EXPIRED: "The credential has expired",
  FORBIDDEN: "The credential does not allow this",
  NOT_FOUND: "Not found",
  ENDPOINT_NOT_FOUND: "No such endpoint",
  METHOD_NOT_ALLOWED: "Method not allowed",
  DUPLICATE_KEY: "The key is already taken",
  RESOURCE_IN_USE: "The resource is still in use",
  CONFLICT: "Conflict",
  PAYLOAD_TOO_LARGE: "The body is too large",
  UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
  REFERENCE_NOT_FOUND: "A referenced resource does not exist",
  TYPE_MISMATCH: "A value does not fit its type",
  INVALID_STATE: "The request does not fit the resource's state",
  RELATION_DEPTH_EXCEEDED: "The relationship graph is too deep to resolve",
  INVALID_API_DOCUMENT: "The document is not an importable API description",
  RATE_LIMITED: "Too many requests",
  INTERNAL: "Internal error",
  UNAVAILABLE: "Service unavailable",
};

/** One invalid field: a JSON pointer into the request and what is wrong with it. */
export interface FieldError {
  pointer: string;
  message: string;
  code?: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors: FieldError[];
}

export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly errors: FieldError[];

  constructor(code: ErrorCode, detail: string, errors: FieldError[] = []) {
    super(detail);
    this.name = "TesseraError";
    this.code = code;
    this.errors = errors;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toProblem(): Problem {
    return problem(this.code, this.message, this.errors);
  }
}

export function problem(code: ErrorCode, detail: string, errors: FieldError[] = []): Problem {
  return {
    type: `https://tessera.dev/problems/${code.toLowerCase().replaceAll("_", "-")}`,
    title: TITLES[code],
    status: ERROR_STATUS[code],
    detail,
    code,
    errors,
  };
}

export function isTesseraError(error: unknown): error is TesseraError {
  return error instanceof TesseraError;
}
