import type { FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import { TesseraError } from "../errors";
import type { Principal, TokenService } from "../services/tokens";
import type { TokenRight } from "../storage/store";

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Deny by default: every route that is not explicitly public names the right it needs. */
export function requireRight(tokens: TokenService, right: TokenRight): onRequestAsyncHookHandler {
  return async (request) => {
    request.principal = authenticate(tokens, request);
    if (!request.principal.rights.includes(right)) {
      throw new TesseraError("FORBIDDEN", `This credential does not carry the "${right}" right.`);
    }
  };
}

function authenticate(tokens: TokenService, request: FastifyRequest): Principal {
  const header = request.headers.authorization;
  if (!header) throw new TesseraError("UNAUTHENTICATED", "Send a token: Authorization: Bearer <token>.");
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new TesseraError("UNAUTHENTICATED", "The Authorization header must be: Bearer <token>.");
  const result = tokens.verify(match[1]!);
  if (!result.valid) {
    throw new TesseraError(
      result.code,
      result.code === "TOKEN_REVOKED" ? "This token has been revoked." : "The token is not valid.",
    );
  }
  return result.principal;
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new TesseraError("UNAUTHENTICATED", "Not authenticated.");
  return request.principal;
}
