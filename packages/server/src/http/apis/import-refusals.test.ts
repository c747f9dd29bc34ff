import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../../testing/backends";
import { startTestServer, type TestServer } from "../../testing/server";

/** A one-operation API whose OAuth2 scheme declares `scopes` and whose operation requires `required`. */
function petsDocument(scopes: Record<string, string>, required: string[], version = "1.0.0") {
  return {
    openapi: "3.0.3",
    info: { title: "Pets", version },
    components: {
      securitySchemes: {
        oauth: { type: "oauth2", flows: { clientCredentials: { tokenUrl: "https://x/token", scopes } } },
      },
    },
    paths: { "/pets": { get: { operationId: "listPets", security: [{ oauth: required }] } } },
  };
}

for (const backend of testBackends()) {
  describe(`importing a document the catalog cannot hold, over HTTP on ${backend.name}`, () => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(backend);
    });
    afterAll(async () => server?.close());

    /** Both the preview and the apply answer 422 INVALID_API_DOCUMENT; the first field error is returned. */
    const refused = async (body: Record<string, unknown>) => {
      let first: { pointer: string; message: string } | undefined;
      for (const apply of [false, true]) {
        const response = await server.call("POST", "/v1/apis/import", { ...body, apply });
        expect(response.statusCode, response.body).toBe(422);
        expect(response.json().code).toBe("INVALID_API_DOCUMENT");
        first ??= response.json().errors[0];
      }
      expect((await server.call("GET", `/v1/apis/${body.name}@1`)).statusCode).toBe(404);
      return first!;
    };

    it("refuses a scope that is not an RFC 6749 scope-token, declared or required", async () => {
      const declared = await refused({
        name: "pets",
        document: petsDocument({ read: "Read", "pets read": "Read pets" }, ["read"]),
      });
      expect(declared).toMatchObject({
        pointer: "/document/components/securitySchemes/oauth/flows/clientCredentials/scopes/pets read",
        message: expect.stringContaining('Scope "pets read"'),
      });
      const required = await refused({
        name: "pets",
        document: petsDocument({ read: "Read" }, ["pets read"]),
      });
      expect(required.pointer).toBe("/document/paths/~1pets/get/security/0/oauth/0");

      const fine = await server.call("POST", "/v1/apis/import", {
        name: "pets",
        document: petsDocument({ "pets:read": "Read pets" }, ["pets:read"]),
        apply: true,
      });
      expect(fine.statusCode, fine.body).toBe(200);
    });

    it.each([
      [
        "a NUL in the title (JSON text)",
        JSON.stringify({ openapi: "3.0.3", info: { title: "a\u0000b", version: "1" }, paths: {} }),
        "/document/info/title",
      ],
      [
        "a lone surrogate in an operationId (JSON text)",
        JSON.stringify({
          openapi: "3.0.3",
          info: { title: "T", version: "1" },
          paths: { "/a": { get: { operationId: "op\ud800" } } },
        }),
        "/document/paths/~1a/get/operationId",
      ],
      [
        "a NUL in a path (YAML)",
        'openapi: 3.0.3\ninfo: {title: T, version: "1"}\npaths:\n  "/a\\0": {get: {operationId: a}}\n',
        "/document/paths/~1a\u0000",
      ],
      [
        "a lone surrogate in a description (YAML)",
        'openapi: 3.0.3\ninfo: {title: T, version: "1", description: "x\\ud800"}\npaths: {}\n',
        "/document/info/description",
      ],
    ])("refuses %s at preview as at apply, rather than failing the write", async (_, document, pointer) => {
      const error = await refused({ name: "unstorable", document });
      expect(error).toMatchObject({
        pointer,
        message: expect.stringContaining("NUL character or an unpaired UTF-16 surrogate"),
      });
    });

    it("refuses a derived major version beyond 1,000,000, and takes an explicit one instead", async () => {
      const document = petsDocument({ read: "Read" }, ["read"], "9999999999999999999999999999");
      const error = await refused({ name: "huge", document });
      expect(error).toMatchObject({
        pointer: "/majorVersion",
        message: expect.stringContaining("give majorVersion explicitly"),
      });
      await refused({ name: "huge", document: petsDocument({ read: "Read" }, ["read"], "1000001.0") });

      const explicit = await server.call("POST", "/v1/apis/import", {
        name: "huge",
        document,
        majorVersion: 3,
        apply: true,
      });
      expect(explicit.statusCode, explicit.body).toBe(200);
      expect(explicit.json().api).toMatchObject({ key: "huge@3", majorVersion: 3 });

      const largest = await server.call("POST", "/v1/apis/import", {
        name: "largest",
        document: petsDocument({ read: "Read" }, ["read"], "1000000.2.3"),
        apply: true,
      });
      expect(largest.statusCode, largest.body).toBe(200);
      expect(largest.json().api.key).toBe("largest@1000000");
    });

    it("refuses a YAML document that contains itself, which held the server in a loop", async () => {
      const document = [
        "openapi: 3.0.3",
        "info: {title: Loop, version: 1.0.0}",
        "paths: {}",
        "x-loop: &a {b: *a}",
      ].join("\n");
      const error = await refused({ name: "loop", document });
      expect(error.message).toContain("contains itself");
      // An alias that shares a value without a loop is fine.
      const shared = [
        "openapi: 3.0.3",
        "info: {title: Shared, version: 1.0.0}",
        "x-a: &a {b: 1}",
        "x-c: {d: *a, e: *a}",
        "paths:",
        "  /pets: {get: {operationId: listPets}}",
      ].join("\n");
      const imported = await server.call("POST", "/v1/apis/import", { name: "shared", document: shared });
      expect(imported.statusCode, imported.body).toBe(200);
    });
  });
}
