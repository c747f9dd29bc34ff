import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { TesseraApiError } from "../client/errors";
import type { Decision, Subject } from "../core/decision";
import { type ExpressLikeRequest, type ExpressLikeResponse, requireEntitlement } from "./express";

const entitled: Decision = {
  entitled: true,
  reason: "ENTITLED",
  message: "ok",
  revision: 1,
  decisionId: "d1",
};
const denied: Decision = {
  entitled: false,
  reason: "PERMISSION_MISSING",
  message: "no",
  revision: 1,
  decisionId: "d2",
};

type Req = ExpressLikeRequest & { user?: Subject };

/** A hand-made response that records what the middleware wrote. */
function fakeResponse() {
  const res = {
    statusCode: 200,
    headers: {} as Record<string, string>,
    body: undefined as string | undefined,
    setHeader(name: string, value: string) {
      res.headers[name] = value;
    },
    end(body: string) {
      res.body = body;
    },
  } satisfies ExpressLikeResponse & Record<string, unknown>;
  return res;
}

async function run(req: Req, evaluate: () => Decision | Promise<Decision>) {
  const middleware = requireEntitlement<Req>({
    permission: "invoices.read",
    subject: (r) => r.user,
    evaluate,
  });
  const res = fakeResponse();
  const nextCalls: unknown[][] = [];
  await middleware(req, res, (...args) => nextCalls.push(args));
  return { res, nextCalls, req };
}

describe("express middleware", () => {
  const user = { tenantId: "t1", userId: "u1" };

  it("calls next and attaches the decision when entitled", async () => {
    const { res, nextCalls, req } = await run({ method: "GET", url: "/invoices", user }, () => entitled);
    expect(nextCalls).toEqual([[]]);
    expect(req.tessera).toBe(entitled);
    expect(res.body).toBeUndefined();
  });

  it("sends 403 with the denial body", async () => {
    const { res, nextCalls } = await run({ method: "GET", url: "/invoices", user }, () => denied);
    expect(nextCalls).toEqual([]);
    expect(res.statusCode).toBe(403);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(res.body!)).toEqual({
      error: "access_denied",
      message: "Upgrade your plan to access this endpoint.",
      reason: "PERMISSION_MISSING",
      decisionId: "d2",
    });
  });

  it("sends 401 without a subject", async () => {
    const { res, nextCalls } = await run({ method: "GET", url: "/invoices" }, () => entitled);
    expect(nextCalls).toEqual([]);
    expect(res.statusCode).toBe(401);
  });

  it("sends 503 when the check fails", async () => {
    const problem = { type: "t", title: "x", status: 500, detail: "boom", code: "INTERNAL", errors: [] };
    const { res, nextCalls } = await run({ method: "GET", url: "/invoices", user }, () => {
      throw new TesseraApiError(problem);
    });
    expect(nextCalls).toEqual([]);
    expect(res.statusCode).toBe(503);
  });

  it("sends 500 when Tessera refuses the question itself, which asking again will not fix", async () => {
    for (const [status, code, sent] of [
      [400, "VALIDATION_FAILED", 500],
      [401, "UNAUTHENTICATED", 500],
      [429, "RATE_LIMITED", 503],
    ] as const) {
      const problem = { type: "t", title: "x", status, detail: "no", code, errors: [] };
      const { res, nextCalls } = await run({ method: "GET", url: "/invoices", user }, () => {
        throw new TesseraApiError(problem);
      });
      expect(nextCalls).toEqual([]);
      expect(res.statusCode, code).toBe(sent);
    }
  });

  it("sends 503 when the answer is not a decision", async () => {
    const { res, nextCalls } = await run(
      { method: "GET", url: "/invoices", user },
      () => ({ entitled: "yes" }) as unknown as Decision,
    );
    expect(nextCalls).toEqual([]);
    expect(res.statusCode).toBe(503);
  });

  it("uses the full path of a mounted router for route checks", async () => {
    let path: string | undefined;
    const middleware = requireEntitlement<Req>({
      route: true,
      subject: (r) => r.user,
      evaluate: (check) => {
        path = check.route?.path;
        return entitled;
      },
    });
    await middleware(
      { method: "post", url: "/42?x=1", originalUrl: "/api/items/42?x=1", user },
      fakeResponse(),
      () => {},
    );
    expect(path).toBe("/api/items/42");
  });

  it("refuses to be built without a question or an answerer", () => {
    const subject = () => undefined;
    expect(() => requireEntitlement({ subject, evaluate: () => entitled } as never)).toThrow(TypeError);
    expect(() => requireEntitlement({ subject, feature: "f" } as never)).toThrow(TypeError);
  });

  it("works on a plain node:http server, whose response Express's extends", async () => {
    const guard = requireEntitlement<IncomingMessage & Req>({
      feature: "reports",
      subject: (r) => (r.headers["x-tenant"] ? { tenantId: String(r.headers["x-tenant"]) } : undefined),
      evaluate: () => denied,
    });
    // Typed as Node's own objects: a compile error here means the structural types drifted from Node's.
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void guard(req, res, () => res.end("handler ran"));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/reports`, { headers: { "x-tenant": "t1" } });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: "access_denied", reason: "PERMISSION_MISSING" });
    } finally {
      server.close();
    }
  });
});
