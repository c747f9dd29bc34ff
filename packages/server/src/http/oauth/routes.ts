import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isTesseraError } from "../../errors";
import { ok, ProblemSchema } from "../../schemas/common";
import {
  AuthorizationServerMetadataSchema,
  IntrospectionSchema,
  JwksSchema,
  OAuthErrorSchema,
  RevokedSchema,
  RotatedSigningKeySchema,
  SigningKeyListSchema,
  TokenActionForm,
  TokenForm,
  TokenResponseSchema,
} from "../../schemas/oauth";
import { OAuthError } from "../../services/oauth/oauth-error";
import { principalOf, requireRight } from "../auth";
import type { Services } from "../services";
import { BasicAuthError, basicError, type ClientCredentials, clientCredentials } from "./client-auth";

const FORM = "application/x-www-form-urlencoded";
const oauthErrors = { 400: OAuthErrorSchema, 401: OAuthErrorSchema };
/**
 * The bodies these endpoints take, for the OpenAPI document: the form RFC 6749 has clients send, first, and
 * JSON, which the server reads too (the body schema is the same). Without it @fastify/swagger names JSON only.
 */
const consumes = [FORM, "application/json"];

/**
 * The authorization server's public endpoints (no Tessera token): RFC 8414 metadata, the JWKS, and the
 * token, introspection and revocation endpoints, which take form bodies and answer RFC 6749 errors.
 */
export function registerOAuthRoutes(app: FastifyInstance, services: Services): void {
  const { oauth, tokens } = services;

  for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]) {
    app.get(
      path,
      {
        schema: {
          operationId: path.includes("openid") ? "openidConfiguration" : "oauthMetadata",
          tags: ["oauth"],
          security: [],
          response: { 200: ok(AuthorizationServerMetadataSchema) },
        },
      },
      async (_request, reply) => reply.header("cache-control", "public, max-age=300").send(oauth.metadata()),
    );
  }

  app.get(
    "/.well-known/jwks.json",
    { schema: { operationId: "jwks", tags: ["oauth"], security: [], response: { 200: ok(JwksSchema) } } },
    // Short-lived cache: after a rotation, verifiers must see the new key soon.
    async (_request, reply) =>
      reply.header("cache-control", "public, max-age=60").send(oauth.signingKeys.jwks()),
  );

  const admin = requireRight(tokens, "admin");
  const keyErrors = { 401: ProblemSchema, 403: ProblemSchema };
  app.get(
    "/v1/oauth/keys",
    {
      onRequest: admin,
      schema: {
        operationId: "listSigningKeys",
        tags: ["oauth"],
        response: { 200: ok(SigningKeyListSchema), ...keyErrors },
      },
    },
    async () => ({
      items: oauth.signingKeys.list().map((k) => ({
        kid: k.kid,
        status: k.status,
        createdAt: k.createdAt,
        retiredAt: k.retiredAt,
      })),
    }),
  );
  app.post(
    "/v1/oauth/keys/rotate",
    {
      onRequest: admin,
      schema: {
        operationId: "rotateSigningKey",
        tags: ["oauth"],
        response: { 200: ok(RotatedSigningKeySchema), ...keyErrors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return oauth.rotateSigningKey(principal.environmentId, principal.tokenId);
    },
  );

  // Encapsulated: the form parser and the RFC 6749 error shape apply to these routes only.
  app.register(async (scope) => {
    scope.addContentTypeParser(FORM, { parseAs: "string" }, (_request, body, done) => {
      const params = new URLSearchParams(body as string);
      // No prototype: a field named "constructor" or "__proto__" is a field like any other.
      const fields: Record<string, string> = Object.create(null);
      for (const [name, value] of params) {
        if (Object.hasOwn(fields, name)) {
          done(new OAuthError("invalid_request", `The parameter "${name}" is repeated.`), undefined);
          return;
        }
        fields[name] = value;
      }
      done(null, fields);
    });
    scope.addHook("onSend", async (_request, reply) => {
      reply.header("cache-control", "no-store");
      reply.header("pragma", "no-cache");
    });
    scope.setErrorHandler((error: FastifyError, request, reply) => sendOAuthError(error, request, reply));

    scope.post(
      "/oauth/token",
      {
        schema: {
          operationId: "oauthToken",
          tags: ["oauth"],
          security: [],
          body: TokenForm,
          consumes,
          response: { 200: ok(TokenResponseSchema), ...oauthErrors },
        },
      },
      async (request) => {
        const body = (request.body ?? {}) as Record<string, string | undefined>;
        const client = requireClient(request);
        return oauth.issueToken(client.clientId, client.secret, {
          grantType: body.grant_type,
          scope: body.scope,
          resource: body.resource,
          audience: body.audience,
        });
      },
    );

    scope.post(
      "/oauth/introspect",
      {
        schema: {
          operationId: "oauthIntrospect",
          tags: ["oauth"],
          description:
            "Authenticate with the client's credentials, or a Tessera token with the decide right.",
          body: TokenActionForm,
          consumes,
          response: { 200: ok(IntrospectionSchema), ...oauthErrors },
        },
      },
      async (request) => {
        const body = (request.body ?? {}) as Record<string, string | undefined>;
        const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
        let caller: { applicationId: string } | { environmentId: string };
        if (bearer) {
          const verified = tokens.verify(bearer[1]!);
          if (!verified.valid || !verified.principal.rights.includes("decide")) {
            throw new OAuthError("invalid_client", "The token is not valid for introspection.");
          }
          caller = { environmentId: verified.principal.environmentId };
        } else {
          const client = requireClient(request);
          caller = authenticate(client);
        }
        if (!body.token) throw new OAuthError("invalid_request", "token is required.");
        return oauth.introspect(body.token, caller);
      },
    );

    scope.post(
      "/oauth/revoke",
      {
        schema: {
          operationId: "oauthRevoke",
          tags: ["oauth"],
          security: [],
          body: TokenActionForm,
          consumes,
          response: { 200: RevokedSchema, ...oauthErrors },
        },
      },
      async (request, reply) => {
        const body = (request.body ?? {}) as Record<string, string | undefined>;
        const caller = authenticate(requireClient(request));
        if (!body.token) throw new OAuthError("invalid_request", "token is required.");
        await oauth.revoke(body.token, caller);
        return reply.code(200).send();
      },
    );
  });

  function authenticate(client: ClientCredentials): { applicationId: string } {
    try {
      return oauth.authenticateClient(client.clientId, client.secret);
    } catch (error) {
      if (client.method === "client_secret_basic" && error instanceof OAuthError)
        throw basicError(error.message);
      throw error;
    }
  }
}

function requireClient(request: FastifyRequest): ClientCredentials {
  const client = clientCredentials(request);
  if (!client)
    throw basicError("Authenticate the client: Authorization: Basic, or client_id and client_secret.");
  return client;
}

function sendOAuthError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  let oauthError: OAuthError;
  if (error instanceof OAuthError) oauthError = error;
  else if (isTesseraError(error) || error.validation || (error.statusCode ?? 500) < 500) {
    oauthError = new OAuthError("invalid_request", error.message);
  } else {
    request.log.error({ err: error }, "unhandled error");
    return reply
      .code(500)
      .send({ error: "server_error", error_description: "Something went wrong on our side." });
  }
  // A token endpoint that saw Basic credentials answers their failure with a Basic challenge.
  const usedBasic = /^Basic\s/i.test(request.headers.authorization ?? "");
  if (oauthError.error === "invalid_client" && (usedBasic || oauthError instanceof BasicAuthError)) {
    reply.header("www-authenticate", 'Basic realm="tessera", charset="UTF-8"');
  } else if (
    oauthError.error === "invalid_client" &&
    /^Bearer\s/i.test(request.headers.authorization ?? "")
  ) {
    // Introspection by a Tessera token: a refused bearer credential gets its own scheme's challenge.
    reply.header("www-authenticate", 'Bearer realm="tessera", error="invalid_token"');
  }
  return reply.code(oauthError.status).type("application/json").send(oauthError.toBody());
}
