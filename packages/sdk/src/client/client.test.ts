import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Decision } from "../core/decision";
import { TesseraClient } from "./client";
import { TesseraApiError, TesseraConnectionError } from "./errors";
import { collect } from "./resources";
import type { LookupResponse } from "./types";

// A real HTTP server that records requests and plays canned answers: the client is tested over the wire.

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

type Handler = (req: Recorded, res: ServerResponse) => void;

interface TestServer {
  url: string;
  requests: Recorded[];
  /** Answers the next requests in turn; the last handler keeps answering once the others are used. */
  reply(...handlers: Handler[]): void;
  close(): Promise<void>;
}

function json(status: number, body: unknown, contentType = "application/json"): Handler {
  return (_req, res) => {
    res.writeHead(status, { "content-type": contentType });
    res.end(body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body));
  };
}

async function startServer(): Promise<TestServer> {
  const requests: Recorded[] = [];
  let handlers: Handler[] = [json(500, { code: "INTERNAL" })];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const recorded = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      requests.push(recorded);
      const handler = handlers.length > 1 ? handlers.shift()! : handlers[0]!;
      handler(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (...h) => {
      handlers = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let server: TestServer;
let client: TesseraClient;

beforeEach(async () => {
  server = await startServer();
  client = new TesseraClient({ baseUrl: server.url, token: "tsr_sk_test" });
});

afterEach(async () => {
  await server.close();
});

const decision: Decision = {
  entitled: true,
  reason: "ENTITLED",
  message: "ok",
  decisionId: "d1",
  revision: 7,
};
const denial: Decision = {
  entitled: false,
  reason: "FEATURE_NOT_IN_PLAN",
  message: "no",
  decisionId: "d2",
  revision: 7,
};

describe("decisions", () => {
  it("posts a check with the bearer token and the time as ISO-8601", async () => {
    server.reply(json(200, decision));
    const at = new Date("2025-01-02T03:04:05.000Z");
    const got = await client.check({ subject: { tenantId: "t1", userId: "u1" }, feature: "sso", at });
    expect(got).toEqual(decision);
    const [req] = server.requests;
    expect(req?.method).toBe("POST");
    expect(req?.url).toBe("/v1/check");
    expect(req?.headers.authorization).toBe("Bearer tsr_sk_test");
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(req?.body).toEqual({
      subject: { tenantId: "t1", userId: "u1" },
      feature: "sso",
      at: at.toISOString(),
    });
  });

  it("returns a denial as a value", async () => {
    server.reply(json(200, denial));
    const got = await client.isEntitledTo({ tenantId: "t1" }, { feature: "sso", requestedUsage: 3 });
    expect(got.entitled).toBe(false);
    expect(got.reason).toBe("FEATURE_NOT_IN_PLAN");
    expect(server.requests[0]?.body).toEqual({
      subject: { tenantId: "t1" },
      feature: "sso",
      requestedUsage: 3,
    });
  });

  it("accepts at as a string or epoch ms and refuses an invalid date", async () => {
    server.reply(json(200, decision));
    await client.check({ subject: { tenantId: "t" }, feature: "f", at: "2025-01-01T00:00:00Z" });
    await client.check({ subject: { tenantId: "t" }, feature: "f", at: 0 });
    expect(server.requests.map((r) => (r.body as { at: string }).at)).toEqual([
      "2025-01-01T00:00:00Z",
      "1970-01-01T00:00:00.000Z",
    ]);
    await expect(
      client.check({ subject: { tenantId: "t" }, feature: "f", at: new Date("nope") }),
    ).rejects.toThrow(RangeError);
  });

  it("sends batches of at most 100 and keeps the order", async () => {
    server.reply((req, res) => {
      const checks = (req.body as { checks: { feature: string }[] }).checks;
      const decisions = checks.map((c) => ({ ...decision, decisionId: c.feature }));
      json(200, { decisions })(req, res);
    });
    const reqs = Array.from({ length: 150 }, (_, i) => ({ subject: { tenantId: "t" }, feature: `f${i}` }));
    const got = await client.checkBatch(reqs);
    expect(got.map((d) => d.decisionId)).toEqual(reqs.map((r) => r.feature));
    expect(server.requests.map((r) => (r.body as { checks: unknown[] }).checks.length).sort()).toEqual([
      100, 50,
    ]);
    expect(server.requests.every((r) => r.url === "/v1/check/batch")).toBe(true);
    expect(await client.checkBatch([])).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });

  it("names the caller's index in the errors of a batch's later requests", async () => {
    // The server numbers each request's checks from 0: check 120 is /checks/20 of the second request.
    server.reply((req, res) => {
      const checks = (req.body as { checks: { feature: string }[] }).checks;
      const bad = checks.findIndex((c) => c.feature === "bad key!");
      if (bad < 0) return json(200, { decisions: checks.map(() => decision) })(req, res);
      json(400, {
        type: "about:blank",
        title: "The request is not valid",
        status: 400,
        detail: `The body is not valid: /checks/${bad}/feature must match pattern`,
        code: "VALIDATION_FAILED",
        errors: [{ pointer: `/checks/${bad}/feature`, message: "must match pattern", code: "pattern" }],
      })(req, res);
    });
    const reqs = Array.from({ length: 150 }, (_, i) => ({
      subject: { tenantId: "t" },
      feature: i === 120 ? "bad key!" : "f",
    }));
    const error = (await client.checkBatch(reqs).catch((e: unknown) => e)) as TesseraApiError;
    expect(error).toBeInstanceOf(TesseraApiError);
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.errors).toEqual([
      { pointer: "/checks/120/feature", message: "must match pattern", code: "pattern" },
    ]);
    expect(error.detail).toBe("The body is not valid: /checks/120/feature must match pattern");
    expect(error.message).toContain("/checks/120/feature");
    // The first request's indexes are the caller's already.
    reqs[120] = { subject: { tenantId: "t" }, feature: "f" };
    reqs[7] = { subject: { tenantId: "t" }, feature: "bad key!" };
    const first = (await client.checkBatch(reqs).catch((e: unknown) => e)) as TesseraApiError;
    expect(first.errors[0]?.pointer).toBe("/checks/7/feature");
  });

  it("asks about an entity", async () => {
    server.reply(json(200, decision));
    await client.isEntitledTo(
      { tenantId: "t1", userId: "u1" },
      { entity: { type: "document", id: "1", action: "read" } },
    );
    expect(server.requests[0]?.body).toEqual({
      subject: { tenantId: "t1", userId: "u1" },
      entity: { type: "document", id: "1", action: "read" },
    });
  });

  it("gives the subject's own decision when a lookup's subject is unknown", async () => {
    const unknown = {
      entitled: false,
      reason: "TENANT_NOT_FOUND",
      message: 'Tenant "nobody" does not exist.',
      decisionId: "dec_1",
      revision: 3,
    };
    const answer = { subject: unknown, plans: [], features: [], permissions: [], revision: 3 };
    server.reply(json(200, answer));
    const got: LookupResponse = await client.lookup({ tenantId: "nobody" });
    expect(got.subject?.reason).toBe("TENANT_NOT_FOUND");
    expect(got.subject?.decisionId).toBe("dec_1");
  });

  it("looks up a subject", async () => {
    const answer = { plans: ["pro"], features: [], permissions: [], revision: 3 };
    server.reply(json(200, answer));
    expect(await client.lookup({ tenantId: "t1" }, new Date(0))).toEqual(answer);
    expect(server.requests[0]?.body).toEqual({ subject: { tenantId: "t1" }, at: "1970-01-01T00:00:00.000Z" });
  });
});

describe("errors", () => {
  const problem = {
    type: "https://tessera.dev/problems/validation-failed",
    title: "The request is not valid",
    status: 400,
    detail: "subject.tenantId is required",
    code: "VALIDATION_FAILED",
    errors: [{ pointer: "/subject/tenantId", message: "is required" }],
  };

  it("maps a problem to a TesseraApiError", async () => {
    server.reply(json(400, problem, "application/problem+json"));
    const error = await client.check({ subject: { tenantId: "" }, feature: "f" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraApiError);
    const api = error as TesseraApiError;
    expect(api.status).toBe(400);
    expect(api.code).toBe("VALIDATION_FAILED");
    expect(api.detail).toBe("subject.tenantId is required");
    expect(api.errors).toEqual(problem.errors);
    expect(api.problem).toEqual(problem);
  });

  it("keeps the status of a non-JSON error page", async () => {
    server.reply(json(502, "<html>Bad gateway</html>", "text/html"));
    const error = (await client.features.get("x").catch((e: unknown) => e)) as TesseraApiError;
    expect(error).toBeInstanceOf(TesseraApiError);
    expect(error.status).toBe(502);
    expect(error.code).toBe("INTERNAL");
    expect(error.detail).toContain("Bad gateway");
  });

  it("refuses a 200 that is not JSON", async () => {
    server.reply(json(200, "hello", "text/plain"));
    await expect(client.check({ subject: { tenantId: "t" }, feature: "f" })).rejects.toBeInstanceOf(
      TesseraConnectionError,
    );
  });

  it("refuses a 200 whose body is empty, null or not the object the call expects", async () => {
    // Before, these resolved to undefined or null, and the caller's `decision.entitled` was a TypeError.
    const subject = { tenantId: "t" };
    for (const body of [undefined, "null", "[]", "42", '"yes"']) {
      server.reply(json(200, body));
      await expect(client.isEntitledTo(subject, { feature: "f" })).rejects.toBeInstanceOf(
        TesseraConnectionError,
      );
      await expect(client.features.get("f")).rejects.toBeInstanceOf(TesseraConnectionError);
      await expect(client.lookup(subject)).rejects.toBeInstanceOf(TesseraConnectionError);
    }
    // An object that is not a decision, and a batch answer that does not pair with the checks.
    server.reply(json(200, {}));
    await expect(client.check({ subject, feature: "f" })).rejects.toBeInstanceOf(TesseraConnectionError);
    await expect(client.checkBatch([{ subject, feature: "f" }])).rejects.toBeInstanceOf(
      TesseraConnectionError,
    );
    server.reply(json(200, { decisions: [] }));
    await expect(client.checkBatch([{ subject, feature: "f" }])).rejects.toBeInstanceOf(
      TesseraConnectionError,
    );
    // A delete's answer carries nothing: an empty 204 or 200 is still fine.
    server.reply(json(200, undefined));
    await expect(client.features.delete("f")).resolves.toBeUndefined();
    await expect(client.members.remove("t", "u")).resolves.toBeUndefined();
  });

  it("times out when the server does not answer", async () => {
    server.reply(() => {}); // never answers
    const slow = new TesseraClient({ baseUrl: server.url, token: "t", timeoutMs: 50 });
    const error = (await slow.check({ subject: { tenantId: "t" }, feature: "f" }).catch((e: unknown) => e)) as
      | TesseraConnectionError
      | undefined;
    expect(error).toBeInstanceOf(TesseraConnectionError);
    expect(error?.timedOut).toBe(true);
  });

  it("rethrows the caller's abort reason rather than a timeout", async () => {
    server.reply(() => {});
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    const pending = client.check({ subject: { tenantId: "t" }, feature: "f" }, { signal: controller.signal });
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it("reports an unreachable server as a connection error", async () => {
    await server.close();
    await expect(client.check({ subject: { tenantId: "t" }, feature: "f" })).rejects.toMatchObject({
      name: "TesseraConnectionError",
      timedOut: false,
    });
    server = await startServer(); // for afterEach
  });

  it("uses a custom fetch and keeps a base path", async () => {
    const calls: string[] = [];
    const custom = new TesseraClient({
      baseUrl: "https://tessera.example/api/",
      token: "t",
      fetch: async (input) => {
        calls.push(input);
        return new Response(JSON.stringify(decision), { status: 200 });
      },
    });
    await custom.check({ subject: { tenantId: "t" }, feature: "f" });
    expect(calls).toEqual(["https://tessera.example/api/v1/check"]);
  });
});

describe("management", () => {
  const stamps = { createdAt: "2025-01-01T00:00:00Z", updatedAt: "2025-01-01T00:00:00Z" };

  it("creates, gets, updates and deletes", async () => {
    const feature = { key: "sso", name: "SSO", type: "boolean" as const };
    server.reply(
      json(201, { ...feature, ...stamps }),
      json(200, { ...feature, ...stamps }),
      json(200, { ...feature, name: "Single sign-on", ...stamps }),
      json(204, undefined),
    );
    expect(await client.features.create(feature)).toEqual({ ...feature, ...stamps });
    await client.features.get("a b/c");
    expect((await client.features.update("sso", { name: "Single sign-on" })).name).toBe("Single sign-on");
    await expect(client.features.delete("sso")).resolves.toBeUndefined();
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST /v1/features",
      "GET /v1/features/a%20b%2Fc",
      "PATCH /v1/features/sso",
      "DELETE /v1/features/sso",
    ]);
    expect(server.requests[0]?.body).toEqual(feature);
    expect(server.requests[2]?.body).toEqual({ name: "Single sign-on" });
  });

  it("maps a 404 to an error with its code", async () => {
    server.reply(
      json(404, {
        type: "t",
        title: "Not found",
        status: 404,
        detail: "no tenant t9",
        code: "NOT_FOUND",
        errors: [],
      }),
    );
    await expect(client.tenants.get("t9")).rejects.toMatchObject({ status: 404, code: "NOT_FOUND" });
  });

  it("walks every page", async () => {
    server.reply(
      json(200, { items: [{ id: "t1" }, { id: "t2" }], nextCursor: "c1" }),
      json(200, { items: [{ id: "t3" }], nextCursor: "c2" }),
      json(200, { items: [] }),
    );
    const ids = (await collect(client.tenants.listAll({ limit: 2 }))).map((t) => t.id);
    expect(ids).toEqual(["t1", "t2", "t3"]);
    expect(server.requests.map((r) => r.url)).toEqual([
      "/v1/tenants?limit=2",
      "/v1/tenants?cursor=c1&limit=2",
      "/v1/tenants?cursor=c2&limit=2",
    ]);
  });

  it("sets, lists and removes members", async () => {
    const member = { tenantId: "t1", userId: "u1", roles: ["admin"] };
    server.reply(json(200, member), json(200, { items: [member] }), json(204, undefined));
    expect(await client.members.set("t1", "u1", ["admin"])).toEqual(member);
    expect(await collect(client.members.listAll("t1"))).toEqual([member]);
    await client.members.remove("t1", "u1");
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "PUT /v1/tenants/t1/members/u1",
      "GET /v1/tenants/t1/members",
      "DELETE /v1/tenants/t1/members/u1",
    ]);
    expect(server.requests[0]?.body).toEqual({ roles: ["admin"] });
  });

  it("filters lists by tenant, the change feed by kind and resource, and reads one member", async () => {
    // Before, these filters were dropped: a tenant's subscriptions came back with every tenant's.
    const member = { tenantId: "t1", userId: "u 1", roles: ["admin"] };
    server.reply(json(200, { items: [] }), json(200, { items: [] }), json(200, member));
    await client.subscriptions.list({ tenantId: "t1", limit: 5 });
    await client.changes({ afterRevision: 1, kind: "membership", resourceId: "t1/u1" });
    expect(await client.members.get("t1", "u 1")).toEqual(member);
    expect(server.requests.map((r) => r.url)).toEqual([
      "/v1/subscriptions?limit=5&tenantId=t1",
      "/v1/changes?afterRevision=1&kind=membership&resourceId=t1%2Fu1",
      "/v1/tenants/t1/members/u%201",
    ]);
  });

  it("reads the change feed and a subscription's entitlements", async () => {
    server.reply(json(200, { items: [] }), json(200, { entitlements: [] }));
    await client.changes({ afterRevision: 5, limit: 10 });
    await client.entitlements("sub_ext 1");
    expect(server.requests.map((r) => r.url)).toEqual([
      "/v1/changes?afterRevision=5&limit=10",
      "/v1/entitlements?subscriptionKey=sub_ext+1",
    ]);
  });
});

// Checked by `tsc --noEmit` (the repo's typecheck covers test files): each @ts-expect-error fails the
// typecheck if the client's types accept what the server refuses. Never called: only the types matter.
export function typesMatchTheServer(c: TesseraClient) {
  // Only subscriptions and grants filter by tenant; the other lists refuse `tenantId` (400).
  void c.subscriptions.list({ tenantId: "t1" });
  void c.grants.listAll({ tenantId: "t1" });
  // @ts-expect-error users are not filtered by tenant
  void c.users.list({ tenantId: "t1" });
  // @ts-expect-error features are not filtered by tenant
  void c.features.listAll({ tenantId: "t1" });
  // @ts-expect-error the tenant of a members list is in its path
  void c.members.list("t1", { tenantId: "t1" });

  // POST /v1/routes refuses `api` and `alternatives` (set only by an OpenAPI import).
  void c.routes.create({ method: "GET", path: "/x", featureKey: "f", scopes: ["read"] });
  // @ts-expect-error api
  void c.routes.create({ method: "GET", path: "/x", api: "petstore@3" });
  // @ts-expect-error alternatives
  void c.routes.create({ method: "GET", path: "/x", alternatives: [["a"]] });

  return async () => {
    // The check answers carry no validUntil; a lookup's does.
    const d = await c.isEntitledTo(
      { tenantId: "t", userId: "u" },
      { entity: { type: "doc", id: "1", action: "read" } },
    );
    // @ts-expect-error not sent on /v1/check
    void d.validUntil;
    // Always sent: a string, never undefined.
    const id: string = d.decisionId;
    void id;
    const [b] = await c.checkBatch([{ subject: { tenantId: "t" }, feature: "f" }]);
    // @ts-expect-error not sent on /v1/check/batch
    void b?.validUntil;
    const l = await c.lookup({ tenantId: "t" });
    void l.validUntil;
    void l.subject?.reason;
  };
}

describe("what the client sends and reads, whatever it is given", () => {
  it("refuses a base URL a path cannot follow, or that fetch would refuse", () => {
    // Before, "?x=1" put every API path inside the query, and credentials failed each call, echoed in it.
    for (const baseUrl of ["http://h/tessera?x=1", "http://h/tessera#top", "http://u:p@h/", "ftp://h/"]) {
      expect(() => new TesseraClient({ baseUrl, token: "t" }), baseUrl).toThrow(TypeError);
    }
  });

  it("refuses an id of . or .., which URL parsing would drop, rather than send a request elsewhere", async () => {
    // Before, members.remove("acme", "..") sent DELETE /v1/tenants/acme/.
    server.reply(json(204, undefined));
    for (const id of [".", ".."]) {
      await expect(client.features.get(id)).rejects.toThrow(TypeError);
      await expect(client.features.update(id, { name: "x" })).rejects.toThrow(TypeError);
      await expect(client.features.delete(id)).rejects.toThrow(TypeError);
      await expect(client.members.remove("acme", id)).rejects.toThrow(TypeError);
      await expect(client.members.list(id)).rejects.toThrow(TypeError);
    }
    await client.features.delete("a..b");
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["DELETE /v1/features/a..b"]);
  });

  it("takes an error's status from the response, not from its body", async () => {
    // A proxy's 503 carrying some other JSON: before, the error said 400, and a guard answered 500.
    server.reply(json(503, { status: 400, detail: "upstream" }));
    const error = (await client.features.get("x").catch((e: unknown) => e)) as TesseraApiError;
    expect(error).toBeInstanceOf(TesseraApiError);
    expect(error.status).toBe(503);
    expect(error.code).toBe("UNAVAILABLE");
  });

  it("does not follow a redirect: its answer would come from somewhere else", async () => {
    // To a server that would answer with a decision: before, the client took it as Tessera's.
    server.reply(
      (_req, res) => {
        res.writeHead(307, { location: `${server.url}/elsewhere` });
        res.end();
      },
      json(200, decision),
    );
    await expect(client.check({ subject: { tenantId: "t" }, feature: "f" })).rejects.toBeInstanceOf(
      TesseraConnectionError,
    );
  });
});
