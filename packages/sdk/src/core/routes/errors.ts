export type RouteTableErrorCode = "DUPLICATE_ROUTE" | "INVALID_ROUTE";

/**
 * Thrown while compiling a route table, never while matching: a table that compiled answers every request,
 * and a request that matches nothing is a normal `undefined`.
 */
export class RouteTableError extends Error {
  readonly code: RouteTableErrorCode;
  readonly method: string;
  readonly path: string;

  constructor(code: RouteTableErrorCode, method: string, path: string, message: string) {
    super(message);
    this.name = "RouteTableError";
    this.code = code;
    this.method = method;
    this.path = path;
  }
}

export function isRouteTableError(error: unknown): error is RouteTableError {
  return error instanceof RouteTableError;
}
