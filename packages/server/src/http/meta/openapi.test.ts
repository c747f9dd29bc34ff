import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../../testing/backends";
import { startTestServer, type TestServer } from "../../testing/server";

describe("Tessera's own API description", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(testBackends()[0]!);
  });
  afterAll(async () => server?.close());

  it("is OpenAPI 3.1 with a stable, unique operationId on every operation", async () => {
    const response = await server.call("GET", "/openapi.json", undefined, null);
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toBe("3.1.0");
    const ids: string[] = [];
    for (const [path, item] of Object.entries(
      doc.paths as Record<string, Record<string, { operationId?: string }>>,
    )) {
      for (const [method, op] of Object.entries(item)) {
        expect(op.operationId, `${method.toUpperCase()} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
        ids.push(op.operationId!);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining(["check", "checkBatch", "createFeature", "listPlans", "setMember"]),
    );
  });

  it("documents requests with the schemas that validate them", async () => {
    const doc = (await server.call("GET", "/openapi.json", undefined, null)).json();
    const create = doc.paths["/v1/features"].post;
    const schema = create.requestBody.content["application/json"].schema;
    expect(schema.required).toEqual(expect.arrayContaining(["key", "name", "type"]));
    expect(schema.additionalProperties).toBe(false);
  });

  it("documents the success status of every relationship operation (201 creates, 204 deletes)", async () => {
    const doc = (await server.call("GET", "/openapi.json", undefined, null)).json();
    const undocumented: string[] = [];
    for (const [path, item] of Object.entries(
      doc.paths as Record<string, Record<string, { responses?: object }>>,
    )) {
      if (!path.includes("relationships") && !path.startsWith("/resources/")) continue;
      for (const [method, op] of Object.entries(item)) {
        const codes = Object.keys(op.responses ?? {});
        const success = method === "delete" ? "204" : codes.includes("201") ? "201" : "200";
        if (!codes.includes(success) || codes.includes("default")) undocumented.push(`${method} ${path}`);
      }
    }
    expect(undocumented).toEqual([]);
    expect(Object.keys(doc.paths["/v1/relationships/entity-types"].post.responses)).toContain("201");
    expect(Object.keys(doc.paths["/resources/entity-types/v1/{key}/relations"].post.responses)).toContain(
      "201",
    );
  });

  it("documents 200 for reads and revokes and 201 for creates on the admin routes, and 403 on members", async () => {
    const doc = (await server.call("GET", "/openapi.json", undefined, null)).json();
    const codes = (path: string, method: string) => Object.keys(doc.paths[path][method].responses);
    // Before, every admin route documented only a 201, whatever it answered.
    for (const [path, method] of [
      ["/v1/environments", "get"],
      ["/v1/tokens", "get"],
      ["/v1/tokens/{id}", "delete"],
      ["/v1/changes", "get"],
    ]) {
      expect(codes(path!, method!), `${method} ${path}`).toContain("200");
      expect(codes(path!, method!), `${method} ${path}`).not.toContain("201");
    }
    expect(codes("/v1/tokens", "post")).toContain("201");
    expect(codes("/v1/tenants/{tenantId}/members/{userId}", "put")).toContain("403");
  });

  it("documents problems as application/problem+json, as they are sent, and OAuth's errors as JSON", async () => {
    const doc = (await server.call("GET", "/openapi.json", undefined, null)).json();
    const invalid = doc.paths["/v1/features"].post.responses["400"].content;
    expect(Object.keys(invalid)).toEqual(["application/problem+json"]);
    const sent = await server.call("POST", "/v1/features", { key: "x" });
    expect(sent.headers["content-type"]).toContain("application/problem+json");
    expect(Object.keys(doc.paths["/oauth/token"].post.responses["400"].content)).toEqual([
      "application/json",
    ]);
  });

  it("is browsable at /docs", async () => {
    const response = await server.tessera.app.inject({ method: "GET", url: "/docs/" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("text/html");
  });
});
