import type { FastifyRequest } from "fastify";
import { OAuthError } from "../../services/oauth/oauth-error";

export interface ClientCredentials {
  clientId: string;
  secret: string;
  /** Basic: a refusal carries WWW-Authenticate (RFC 6749 §5.2). */
  method: "client_secret_basic" | "client_secret_post";
}

/**
 * Reads client credentials from `Authorization: Basic` (each part form-urlencoded, RFC 6749 §2.3.1) or from
 * the body; both at once is ambiguous and refused. Undefined when there are none.
 */
export function clientCredentials(request: FastifyRequest): ClientCredentials | undefined {
  const body = (request.body ?? {}) as Record<string, string | undefined>;
  const header = request.headers.authorization;
  const basic = header ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header) : null;
  const inBody = body.client_id !== undefined || body.client_secret !== undefined;
  if (basic && inBody) {
    throw new OAuthError("invalid_request", "Authenticate with one method: Basic or the body, not both.");
  }
  if (basic) {
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw basicError("The Basic credentials are malformed.");
    try {
      return {
        clientId: formDecode(decoded.slice(0, colon)),
        secret: formDecode(decoded.slice(colon + 1)),
        method: "client_secret_basic",
      };
    } catch {
      throw basicError("The Basic credentials are malformed.");
    }
  }
  if (body.client_id !== undefined && body.client_secret !== undefined) {
    return { clientId: body.client_id, secret: body.client_secret, method: "client_secret_post" };
  }
  return undefined;
}

/** A refusal of Basic credentials, so the error handler adds WWW-Authenticate. */
export class BasicAuthError extends OAuthError {}

export function basicError(description: string): BasicAuthError {
  return new BasicAuthError("invalid_client", description);
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replaceAll("+", " "));
}
