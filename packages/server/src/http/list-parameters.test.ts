import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../testing/backends";
import { startTestServer, type TestServer } from "../testing/server";

for (const backend of testBackends()) {
  describe(`list parameters on ${backend.name}: an unknown or repeated one is a 400 that names it`, () => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(backend);
      await server.call("POST", "/v1/features", { key: "seats", name: "Seats", type: "limit" });
      await server.call("POST", "/v1/features", { key: "sso", name: "SSO", type: "boolean" });
      await server.call("POST", "/v1/tenants", { id: "acme" });
    });
    afterAll(async () => server?.close());

    async function expectRefused(url: string, pointer: string, fieldCode: string) {
      const response = await server.call("GET", url);
      expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
      expect(response.headers["content-type"]).toContain("application/problem+json");
      const body = response.json();
      expect(body).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
      expect(body.errors).toContainEqual(expect.objectContaining({ pointer, code: fieldCode }));
      return body;
    }

    it("the change feed refuses a parameter it does not have, a cursor included", async () => {
      await expectRefused("/v1/changes?bogus=1", "querystring:/bogus", "additionalProperties");
      // The feed pages by afterRevision: a cursor is not one of its parameters, and was ignored.
      const body = await expectRefused(
        "/v1/changes?cursor=zzz",
        "querystring:/cursor",
        "additionalProperties",
      );
      expect(body.detail).toContain("cursor");
      // What it does take still works.
      const page = await server.call(
        "GET",
        "/v1/changes?afterRevision=0&limit=1&kind=feature&resourceId=seats",
      );
      expect(page.statusCode, page.body).toBe(200);
      expect(page.json().items.map((c: { resourceId: string }) => c.resourceId)).toEqual(["seats"]);
    });

    it("the lists that take only a page's parameters refuse any other", async () => {
      for (const url of ["/v1/tokens?bogus=1", "/v1/apis?bogus=1", "/v1/tenants/acme/members?bogus=1"]) {
        await expectRefused(url, "querystring:/bogus", "additionalProperties");
      }
      expect((await server.call("GET", "/v1/tokens?limit=1")).statusCode).toBe(200);
      expect((await server.call("GET", "/v1/apis?limit=1")).statusCode).toBe(200);
      expect((await server.call("GET", "/v1/tenants/acme/members?limit=1")).statusCode).toBe(200);
      // A made-up cursor is still the list's own problem.
      const cursor = await server.call("GET", "/v1/tokens?cursor=zzz");
      expect(cursor.statusCode).toBe(400);
      expect(cursor.json().code).toBe("INVALID_CURSOR");
    });

    it("a parameter given twice is refused on every list, and says it was repeated", async () => {
      for (const url of [
        "/v1/features?limit=1&limit=2",
        "/v1/features?limit=2&limit=2",
        "/v1/subscriptions?tenantId=acme&limit=1&limit=2",
        "/v1/tokens?limit=1&limit=2",
        "/v1/apis?limit=1&limit=2",
        "/v1/tenants/acme/members?limit=1&limit=2",
        "/v1/changes?limit=1&limit=2",
      ]) {
        const body = await expectRefused(url, "querystring:/limit", "repeated");
        expect(body.detail).toContain("querystring:/limit is given 2 times");
      }
      await expectRefused("/v1/features?cursor=a&cursor=b", "querystring:/cursor", "repeated");
      await expectRefused("/v1/subscriptions?tenantId=a&tenantId=b", "querystring:/tenantId", "repeated");
      await expectRefused("/v1/changes?kind=plan&kind=feature", "querystring:/kind", "repeated");

      // Given once, it pages as before.
      const page = await server.call("GET", "/v1/features?limit=1");
      expect(page.statusCode).toBe(200);
      expect(page.json().items).toHaveLength(1);
      expect(page.json().nextCursor).toEqual(expect.any(String));
      // A value of the wrong type, given once, is still a type error.
      await expectRefused("/v1/features?limit=many", "querystring:/limit", "type");
    });
  });
}
