import { errorCodes, type FastifyInstance } from "fastify";
import secureJson from "secure-json-parse";

/** As Fastify's own parser: a `__proto__` key or a `constructor.prototype` makes the body malformed. */
const PARSE_OPTIONS = { protoAction: "error", constructorAction: "error" } as const;

/**
 * Fastify's JSON body parser, but for one case: a DELETE that sends `Content-Type: application/json` and no
 * body at all. Shell helpers and fetch wrappers that set the header on every request send just that (the
 * README's own `api` helper does), and it is a request without a body, not malformed JSON; Fastify's parser
 * answered it 400. Every other body is parsed as Fastify parses it, at the same cost: an empty body to any
 * other method is still malformed (MALFORMED_JSON), as is text that is not JSON.
 */
export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      if (request.method === "DELETE") done(null, undefined);
      else done(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = secureJson.parse(text, PARSE_OPTIONS);
    } catch {
      done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
      return;
    }
    done(null, parsed);
  });
}
