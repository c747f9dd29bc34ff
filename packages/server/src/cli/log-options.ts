import type { FastifyRequest } from "fastify";

/**
 * The servers' log settings: credentials never reach the log, whatever a future log line includes. Headers
 * are redacted by path; a credential sent in the query string (an OAuth client's `client_secret` where it
 * belongs in the body, an `api_key` on a proxied call) is in the request's URL, which every request's log
 * line carries, so its value is masked there.
 */
export function logOptions(level: string, headers: readonly string[]) {
  return {
    level,
    redact: [...headers, "token", "secret"],
    serializers: { req: requestLine },
  };
}

/** Fastify's own request serializer, with the URL's credentials masked. */
function requestLine(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** Names of query parameters that may carry a credential: their values never reach the log. */
const SECRET_PARAMETER = /secret|token|key|password|passwd|auth|signature|sig$|^code$|assertion|credential/i;

/** The URL with the value of every credential-like query parameter replaced by "[redacted]". */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replaceAll("+", " "));
      } catch {
        // A malformed escape: judge the name as sent.
      }
      return eq >= 0 && SECRET_PARAMETER.test(name) ? `${rawName}=[redacted]` : pair;
    })
    .join("&");
  return `${url.slice(0, q)}?${query}`;
}
