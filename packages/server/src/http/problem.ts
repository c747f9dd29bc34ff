import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { type ErrorCode, type FieldError, isTesseraError, problem } from "../errors";
import { StoreConflict } from "../storage/store";
import { trackAllowedMethods } from "./allowed-methods";
import { toFieldErrors } from "./validation";

/** Fastify's own error codes for bodies it could not read, mapped to ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "MALFORMED_JSON",
  FST_ERR_CTP_EMPTY_JSON_BODY: "MALFORMED_JSON",
  FST_ERR_CTP_BODY_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "VALIDATION_FAILED",
  FST_ERR_CTP_INVALID_TYPE: "UNSUPPORTED_MEDIA_TYPE",
};

export function sendProblem(reply: FastifyReply, code: ErrorCode, detail: string, errors: FieldError[] = []) {
  const body = problem(code, detail, errors);
  if (body.status === 401) reply.header("www-authenticate", 'Bearer realm="tessera"');
  return reply.code(body.status).type("application/problem+json").send(body);
}

/**
 * For Fastify's `frameworkErrors`: a path it cannot decode (`%ZZ`, a lone surrogate's bytes) or a parameter
 * longer than `maxParamLength` is answered before routing, in a JSON shape of Fastify's own; these send
 * the API's problem instead.
 */
export function sendFrameworkProblem(error: FastifyError, _request: unknown, reply: FastifyReply) {
  const detail =
    error.code === "FST_ERR_MAX_PARAM_LENGTH"
      ? "A path segment is longer than any id or key can be."
      : "The path is not valid percent-encoded UTF-8.";
  return sendProblem(reply, "VALIDATION_FAILED", detail, [{ pointer: "params:/", message: detail }]);
}

/**
 * Every failure leaves as application/problem+json with a stable code. Anything a user can cause is a 4xx;
 * a 500 means a bug of ours, and its details go to the log, not to the caller.
 */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isTesseraError(error)) return sendProblem(reply, error.code, error.message, error.errors);
    // A conflict the database found that no service turned into a problem of its own: still the caller's 409.
    if (error instanceof StoreConflict) return sendProblem(reply, error.code, error.message);
    if (error.validation) {
      const part = error.validationContext ?? "body";
      const errors = toFieldErrors(error.validation as never, part);
      return sendProblem(
        reply,
        "VALIDATION_FAILED",
        `The ${part} is not valid: ${errors.map((e) => `${e.pointer} ${e.message}`).join("; ")}`,
        errors,
      );
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) return sendProblem(reply, mapped, error.message);
    if (error instanceof SyntaxError) return sendProblem(reply, "MALFORMED_JSON", error.message);
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(
        reply,
        error.statusCode === 413 ? "PAYLOAD_TOO_LARGE" : "VALIDATION_FAILED",
        error.message,
      );
    }
    request.log.error({ err: error }, "unhandled error");
    return sendProblem(
      reply,
      "INTERNAL",
      "Something went wrong on our side; the details are in the server log.",
    );
  });
  const allowedMethods = trackAllowedMethods(app);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?", 1)[0];
    const allowed = allowedMethods(request.url);
    if (allowed.length > 0) {
      reply.header("allow", allowed.join(", "));
      return sendProblem(
        reply,
        "METHOD_NOT_ALLOWED",
        `${path} does not answer ${request.method}; it answers ${allowed.join(", ")}.`,
      );
    }
    return sendProblem(reply, "ENDPOINT_NOT_FOUND", `No endpoint ${request.method} ${path}.`);
  });
}
