import type { FastifyInstance } from "fastify";
import Router from "find-my-way";

/**
 * The methods a path answers to, for a 405 and its Allow header (RFC 9110 §15.5.6). Fastify's router
 * answers a known path with an unknown method as it answers an unknown path, with a 404; this keeps a
 * second router of every route (the same router Fastify uses), consulted only once a request has found no
 * route, so it costs the routes that exist nothing.
 */
export function trackAllowedMethods(app: FastifyInstance): (url: string) => string[] {
  const router = Router();
  const methods = new Set<string>();
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      // Fastify has refused a true duplicate already; one that differs only in constraints is still one path.
      if (router.hasRoute(method as Router.HTTPMethod, route.url)) continue;
      router.on(method as Router.HTTPMethod, route.url, noop);
      methods.add(method);
    }
  });
  return (url) => {
    const path = url.split("?", 1)[0]!;
    return [...methods].filter((method) => router.find(method as Router.HTTPMethod, path) !== null).sort();
  };
}

function noop(): void {}
