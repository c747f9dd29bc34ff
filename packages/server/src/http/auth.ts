import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from "fastify";
import { TesseraError } from "../errors";
import { isExpired, type Principal, type TokenService } from "../services/tokens";
import type { TokenRight } from "../storage/store";

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Declares `request.principal` up front, so every request object has the same shape from the start. */
export function installAuth(app: FastifyInstance): void {
  app.decorateRequest("principal", undefined);
}

/**
 * Deny by default: every route that is not explicitly public names the right it needs, or the rights of
 * which any one will do. The check is synchronous (tokens are verified against an in-memory index), so the
 * hook takes Fastify's callback form rather than paying for a promise per request; what it throws, Fastify
 * sends to the error handler.
 */
export function requireRight(
  tokens: TokenService,
  right: TokenRight | readonly TokenRight[],
): onRequestHookHandler {
  const rights: readonly TokenRight[] = typeof right === "string" ? [right] : right;
  const named = rights.map((r) => `"${r}"`).join(" or ");
  return (request, _reply, done) => {
    const principal = authenticate(tokens, request);
    if (!rights.some((r) => principal.rights.includes(r))) {
      throw new TesseraError("FORBIDDEN", `This credential does not carry the ${named} right.`);
    }
    request.principal = principal;
    done();
  };
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** What a connection's last request proved: the header it sent, and who that is as of a token version. */
interface Remembered {
  header: string;
  principal: Principal;
  version: number;
}

/**
 * Per connection (keyed by its socket, so it goes when the connection does). Clients keep a connection open
 * and send the same credential on every request over it; while the token index has not changed since, the
 * same header proves the same principal, and the request is spared hashing the secret. A header that
 * differs, or any change to the tokens (a revocation here takes effect on the very next request), means
 * a full verification.
 */
const remembered = new WeakMap<object, Remembered>();

function authenticate(tokens: TokenService, request: FastifyRequest): Principal {
  const header = request.headers.authorization;
  if (!header) throw new TesseraError("UNAUTHENTICATED", "Send a token: Authorization: Bearer <token>.");
  const socket: object | undefined = request.raw.socket ?? undefined;
  const last = socket && remembered.get(socket);
  if (
    last &&
    last.version === tokens.version &&
    sameText(last.header, header) &&
    !isExpired(last.principal.expires)
  )
    return last.principal;

  const version = tokens.version;
  const match = BEARER.exec(header);
  if (!match) throw new TesseraError("UNAUTHENTICATED", "The Authorization header must be: Bearer <token>.");
  const result = tokens.verify(match[1]!);
  if (!result.valid) {
    throw new TesseraError(
      result.code,
      result.code === "TOKEN_REVOKED"
        ? "This token has been revoked."
        : result.code === "TOKEN_EXPIRED"
          ? "This token has expired."
          : "The token is not valid.",
    );
  }
  if (socket) remembered.set(socket, { header, principal: result.principal, version });
  return result.principal;
}

/**
 * Equality of two credentials in time that depends on their length only, never on where they differ:
 * whoever shares a connection with another client (behind a proxy) learns nothing of its credential.
 */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new TesseraError("UNAUTHENTICATED", "Not authenticated.");
  return request.principal;
}
