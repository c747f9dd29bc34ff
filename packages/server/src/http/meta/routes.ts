import type { FastifyInstance } from "fastify";

export function registerMetaRoutes(app: FastifyInstance): void {
  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
