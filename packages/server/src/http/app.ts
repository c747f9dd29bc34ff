import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance } from "fastify";
import { registerAdminRoutes } from "./admin/routes";
import { registerApiRoutes } from "./apis/routes";
import { installAuth } from "./auth";
import { registerCatalogRoutes } from "./catalog/routes";
import { registerCredentialRoutes } from "./credentials/routes";
import { registerDecisionRoutes } from "./decisions/routes";
import { installJsonParser } from "./json-body";
import { problemsAsProblemJson } from "./meta/problem-content";
import { registerMetaRoutes } from "./meta/routes";
import { registerOAuthRoutes } from "./oauth/routes";
import { installProblemHandlers, sendFrameworkProblem } from "./problem";
import { registerRelationshipRoutes } from "./relationships/routes";
import { registerSeedRelationshipRoutes } from "./relationships/seed-routes";
import type { Services } from "./services";
import { validatorCompiler } from "./validation";

export interface AppOptions {
  services: Services;
  /** pino options, or false for silence (tests). */
  logger?: boolean | object;
  /** Largest accepted body, bytes. */
  bodyLimit?: number;
}

export const VERSION = "0.1.0";

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1_048_576,
    // Under Fastify's default of 100 characters, what the API created with a longer id (ids run to 200,
    // schemas/common.ts) could not be read, changed or deleted. The routes' schemas set the real limits,
    // with a field to name; this one only has to be above them, percent-encoding included. Fastify 5
    // reads it from routerOptions (the top-level spelling prints a deprecation warning at startup).
    routerOptions: { maxParamLength: 1024 },
    frameworkErrors: sendFrameworkProblem,
  });
  app.setValidatorCompiler(validatorCompiler);
  // The API speaks JSON only: anything else is a 415, not a string handed to a JSON schema.
  app.removeContentTypeParser("text/plain");
  installJsonParser(app);
  installProblemHandlers(app);
  installAuth(app);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Tessera API",
        version: VERSION,
        description: "Entitlements, permissions and API access decisions, and the catalog behind them.",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", description: "A management token or server key" },
        },
      },
      security: [{ bearer: [] }],
    },
    transformObject: (document) =>
      "openapiObject" in document ? problemsAsProblemJson(document.openapiObject) : document.swaggerObject,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  registerMetaRoutes(app);
  registerDecisionRoutes(app, options.services);
  registerCatalogRoutes(app, options.services);
  registerAdminRoutes(app, options.services);
  registerApiRoutes(app, options.services);
  registerRelationshipRoutes(app, options.services);
  registerSeedRelationshipRoutes(app, options.services);
  registerCredentialRoutes(app, options.services);
  registerOAuthRoutes(app, options.services);
  return app;
}
