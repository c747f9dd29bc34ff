import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { TesseraClient } from "../client/client";
import type { CheckRequest, Decision, Subject } from "../core/decision";
import { requireEntitlement } from "./fastify";
import type { RequireEntitlementOptions } from "./guard";

const entitled: Decision = {
  entitled: true,
  reason: "ENTITLED",
  message: "ok",
  revision: 1,
  decisionId: "d1",
};
const denied: Decision = {
  entitled: false,
  reason: "FEATURE_NOT_IN_PLAN",
  message: "no",
  revision: 1,
  decisionId: "d2",
};

function subjectFromHeader(req: {
  headers: Record<string, string | string[] | undefined>;
}): Subject | undefined {
  const tenantId = req.headers["x-tenant"];
  return typeof tenantId === "string" ? { tenantId } : undefined;
}

let app: FastifyInstance;
afterEach(() => app.close());

// Typed against the real FastifyRequest, so the structural types are checked to fit it.
type Options = RequireEntitlementOptions<FastifyRequest>;

async function appWith(options: Options): Promise<FastifyInstance> {
  app = Fastify();
  app.get("/reports", { preHandler: requireEntitlement<FastifyRequest>(options) }, async (request) => ({
    ok: true,
    decisionId: (request as { tessera?: Decision }).tessera?.decisionId,
  }));
  await app.ready();
  return app;
}

describe("fastify preHandler", () => {
  it("lets an entitled request through and attaches the decision", async () => {
    const seen: CheckRequest[] = [];
    await appWith({
      feature: "reports",
      subject: subjectFromHeader,
      evaluate: (r) => {
        seen.push(r);
        return entitled;
      },
    });
    const res = await app.inject({ method: "GET", url: "/reports?x=1", headers: { "x-tenant": "t1" } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, decisionId: "d1" });
    expect(seen[0]).toMatchObject({ subject: { tenantId: "t1" }, feature: "reports" });
  });

  it("answers a denial with 403 and the reason", async () => {
    await appWith({ feature: "reports", subject: subjectFromHeader, evaluate: async () => denied });
    const res = await app.inject({ method: "GET", url: "/reports", headers: { "x-tenant": "t1" } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      error: "access_denied",
      message: "Upgrade your plan to access this endpoint.",
      reason: "FEATURE_NOT_IN_PLAN",
      decisionId: "d2",
    });
  });

  it("answers 401 without a subject, without asking", async () => {
    let asked = false;
    await appWith({
      feature: "reports",
      subject: subjectFromHeader,
      evaluate: () => {
        asked = true;
        return entitled;
      },
    });
    const res = await app.inject({ method: "GET", url: "/reports" });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe("unauthenticated");
    expect(asked).toBe(false);
  });

  it("answers 503 when the server is unreachable, never running the handler", async () => {
    const client = new TesseraClient({
      baseUrl: "http://127.0.0.1:1",
      token: "t",
      fetch: () => Promise.reject(new TypeError("fetch failed")),
    });
    const errors: unknown[] = [];
    await appWith({ feature: "reports", subject: subjectFromHeader, client, onError: (e) => errors.push(e) });
    const res = await app.inject({ method: "GET", url: "/reports", headers: { "x-tenant": "t1" } });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toBe("entitlements_unavailable");
    expect(errors).toHaveLength(1);
  });

  it("checks the request's own method and path for route: true", async () => {
    const seen: CheckRequest[] = [];
    await appWith({
      route: true,
      subject: subjectFromHeader,
      evaluate: (r) => {
        seen.push(r);
        return denied;
      },
      message: "Nope.",
    });
    const res = await app.inject({ method: "GET", url: "/reports?page=2", headers: { "x-tenant": "t1" } });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toBe("Nope.");
    expect(seen[0]?.route).toEqual({ method: "GET", path: "/reports" });
  });
});
