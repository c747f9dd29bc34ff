import { describe, expect, it } from "vitest";
import type { Decision } from "../core/decision";
import { decisionOf, requireEntitlement } from "./fetch";

const entitled: Decision = {
  entitled: true,
  reason: "ENTITLED",
  message: "ok",
  revision: 1,
  decisionId: "d1",
};
const denied: Decision = { entitled: false, reason: "SCOPE_MISSING", message: "no", revision: 1 };

const subject = (req: Request) => {
  const tenantId = req.headers.get("x-tenant");
  return tenantId ? { tenantId } : undefined;
};

describe("fetch-style guard", () => {
  it("resolves to undefined and records the decision when entitled", async () => {
    const guard = requireEntitlement({ feature: "f", subject, evaluate: () => entitled });
    const request = new Request("http://x/reports", { headers: { "x-tenant": "t1" } });
    expect(await guard(request)).toBeUndefined();
    expect(decisionOf(request)).toBe(entitled);
  });

  it("answers a denial with 403 and the reason", async () => {
    const guard = requireEntitlement({
      route: true,
      subject,
      scopes: () => ["read"],
      evaluate: () => denied,
    });
    const res = await guard(
      new Request("http://x/pets/1?q=2", { method: "DELETE", headers: { "x-tenant": "t" } }),
    );
    expect(res?.status).toBe(403);
    expect(res?.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res?.json()).toEqual({
      error: "access_denied",
      message: "Upgrade your plan to access this endpoint.",
      reason: "SCOPE_MISSING",
    });
  });

  it("answers 401 without a subject", async () => {
    const guard = requireEntitlement({ feature: "f", subject, evaluate: () => entitled });
    const res = await guard(new Request("http://x/reports"));
    expect(res?.status).toBe(401);
  });

  it("answers 503 when the check rejects", async () => {
    const guard = requireEntitlement({
      feature: "f",
      subject,
      client: { check: () => Promise.reject(new Error("down")) },
    });
    const res = await guard(new Request("http://x/reports", { headers: { "x-tenant": "t1" } }));
    expect(res?.status).toBe(503);
  });

  it("answers 500 when the app's subject resolver throws", async () => {
    const guard = requireEntitlement({
      feature: "f",
      subject: () => {
        throw new Error("bad session store");
      },
      evaluate: () => entitled,
    });
    const res = await guard(new Request("http://x/reports"));
    expect(res?.status).toBe(500);
  });
});
