import { describe, expect, it } from "vitest";
import { parseApiDocument } from "./openapi-parse";
import { ownScopeOf } from "./openapi-security";
import { ApiDocumentError } from "./openapi-types";

const info = { title: "T", version: "1.0.0" };

async function refusal(
  input: string | object,
): Promise<{ message: string; pointer: string | undefined } | undefined> {
  try {
    await parseApiDocument(input);
    return undefined;
  } catch (error) {
    if (!(error instanceof ApiDocumentError)) throw error;
    expect(error.code).toBe("INVALID_API_DOCUMENT");
    return { message: error.message, pointer: error.pointer };
  }
}

describe("parseApiDocument refuses what is not an importable API description", () => {
  it.each([
    ["empty text", "", ""],
    ["a JSON array", "[1, 2]", ""],
    ["a YAML scalar", "just words", ""],
    ["JSON Schema", { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" }, ""],
    ["OpenAPI 2.5", { openapi: "2.5.0", info, paths: {} }, "/openapi"],
    ["Swagger 1.2", { swagger: "1.2", info, paths: {} }, "/swagger"],
    ["no info.title", { openapi: "3.0.3", info: { version: "1" }, paths: {} }, "/info/title"],
    ["a path without /", { openapi: "3.0.3", info, paths: { pets: { get: {} } } }, "/paths/pets"],
    [
      "an unusable template",
      { openapi: "3.0.3", info, paths: { "/a/{x}{y}": { get: {} } } },
      "/paths/~1a~1{x}{y}",
    ],
    [
      "a security that is not a list",
      { openapi: "3.0.3", info, paths: { "/a": { get: { security: { x: [] } } } } },
      "/paths/~1a/get/security",
    ],
    [
      "two operations with one operationId",
      {
        openapi: "3.0.3",
        info,
        paths: { "/a": { get: { operationId: "x" } }, "/b": { get: { operationId: "x" } } },
      },
      "/paths/~1b/get",
    ],
  ])("%s", async (_, input, pointer) => {
    expect((await refusal(input))?.pointer).toBe(pointer);
  });

  it("refuses external references, naming where they are, and never fetches them", async () => {
    const document = {
      openapi: "3.0.3",
      info,
      paths: { "/a": { get: { responses: { 200: { $ref: "https://example.com/responses.yaml#/ok" } } } } },
    };
    expect(await refusal(document)).toEqual({
      message: expect.stringContaining("External reference"),
      pointer: "/paths/~1a/get/responses/200/$ref",
    });
    expect((await refusal({ ...document, paths: { "/a": { $ref: "./a.yaml" } } }))?.pointer).toBe(
      "/paths/~1a/$ref",
    );
  });

  it("reports YAML syntax errors", async () => {
    expect((await refusal("openapi: 3.0.0\ninfo: [unclosed"))?.message).toMatch(/YAML/);
  });

  it.each([
    ["a space", "pets read"],
    ["a double quote", 'pets"read'],
    ["a backslash", "pets\\read"],
    ["a tab", "pets\tread"],
    ["a non-ASCII letter", "lecture:réseau"],
    ["nothing", ""],
  ])(
    "refuses a scope holding %s, where a scheme declares it or an operation requires it",
    async (_, scope) => {
      const oauth3 = (scopes: Record<string, string>) => ({
        openapi: "3.0.3",
        info,
        components: {
          securitySchemes: {
            oauth: { type: "oauth2", flows: { clientCredentials: { tokenUrl: "https://x/token", scopes } } },
          },
        },
        paths: { "/pets": { get: { operationId: "listPets", security: [{ oauth: ["ok"] }] } } },
      });
      const declared = await refusal(oauth3({ ok: "Fine", [scope]: "Bad" }));
      expect(declared).toEqual({
        message: expect.stringContaining(`Scope ${JSON.stringify(scope)} is not an OAuth scope token`),
        pointer: `/components/securitySchemes/oauth/flows/clientCredentials/scopes/${scope}`,
      });

      const required = oauth3({ ok: "Fine" });
      required.paths["/pets"].get.security = [{ oauth: ["ok", scope] }];
      expect((await refusal(required))?.pointer).toBe("/paths/~1pets/get/security/0/oauth/1");
      expect((await refusal({ ...oauth3({ ok: "Fine" }), security: [{ oauth: [scope] }] }))?.pointer).toBe(
        "/security/0/oauth/0",
      );

      const swagger = {
        swagger: "2.0",
        info,
        securityDefinitions: {
          legacy: { type: "oauth2", flow: "application", tokenUrl: "https://x", scopes: { [scope]: "" } },
        },
        paths: {},
      };
      expect((await refusal(swagger))?.pointer).toBe(`/securityDefinitions/legacy/scopes/${scope}`);
    },
  );

  it("takes every printable ASCII scope token RFC 6749 allows", async () => {
    const scope = "!#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~";
    const api = await parseApiDocument({
      openapi: "3.1.0",
      info,
      paths: { "/a": { get: { operationId: "a", security: [{ key: [scope] }] } } },
      components: { securitySchemes: { key: { type: "apiKey", in: "header", name: "X-Key" } } },
    });
    expect(api.operations[0]?.scopes).toEqual([scope]);
  });

  it.each([
    [
      "a NUL in a title (JSON text)",
      `{"openapi":"3.0.3","info":{"title":"a\\u0000b","version":"1"},"paths":{}}`,
      "/info/title",
    ],
    [
      "a lone surrogate in an operationId (JSON text)",
      `{"openapi":"3.0.3","info":{"title":"T","version":"1"},"paths":{"/a":{"get":{"operationId":"x\\ud800"}}}}`,
      "/paths/~1a/get/operationId",
    ],
    [
      "a NUL in a path (YAML)",
      'openapi: 3.0.3\ninfo: {title: T, version: "1"}\npaths:\n  "/a\\0": {get: {}}\n',
      "/paths/~1a\u0000",
    ],
    [
      "a lone low surrogate in a description (YAML)",
      'openapi: 3.0.3\ninfo: {title: T, version: "1", description: "x\\udc00"}\npaths: {}\n',
      "/info/description",
    ],
    [
      "a NUL deep in an array (object)",
      { openapi: "3.0.3", info, paths: {}, tags: [{ name: "ok" }, { name: "a\u0000" }] },
      "/tags/1/name",
    ],
    [
      "a NUL in a key (object)",
      { openapi: "3.0.3", info, paths: {}, "x-a": { "k\u0000": 1 } },
      "/x-a/k\u0000",
    ],
  ])("refuses %s, naming where it is", async (_, input, pointer) => {
    expect(await refusal(input)).toEqual({
      message: expect.stringContaining("NUL character or an unpaired UTF-16 surrogate"),
      pointer,
    });
  });

  it("takes a whole surrogate pair, and walks a deeply nested document without overflowing", async () => {
    const api = await parseApiDocument({
      openapi: "3.0.3",
      info: { title: "Pets 🐈", version: "1" },
      paths: {},
    });
    expect(api.title).toBe("Pets 🐈");
    const depth = 100_000;
    const text = `{"openapi":"3.0.3","info":{"title":"T","version":"1"},"paths":{},"x-deep":${"[".repeat(depth)}"\\u0000"${"]".repeat(depth)}}`;
    expect((await refusal(text))?.pointer).toBe(`/x-deep${"/0".repeat(depth)}`);
  });

  it("refuses a $ref that points nowhere", async () => {
    const document = { openapi: "3.1.0", info, paths: { "/a": { $ref: "#/components/pathItems/missing" } } };
    expect((await refusal(document))?.message).toMatch(/\$ref/);
  });
});

describe("parseApiDocument reads", () => {
  it("path items behind $ref (components.pathItems and another path), with path-level parameters", async () => {
    const api = await parseApiDocument({
      openapi: "3.1.0",
      info,
      paths: {
        "/a/{id}": {
          parameters: [{ $ref: "#/components/parameters/Id" }],
          $ref: "#/components/pathItems/Thing",
        },
        "/plain": { get: { summary: "Plain" } },
        "/b": { $ref: "#/paths/~1plain" },
      },
      components: {
        parameters: {
          Id: { name: "id", in: "path", required: true, schema: { $ref: "#/components/schemas/Id" } },
        },
        schemas: { Id: { type: "string" } },
        pathItems: {
          Thing: {
            summary: "A thing",
            get: { responses: { 200: { description: "ok" } } },
            delete: { operationId: "deleteThing", security: [{ key: [] }] },
          },
        },
        securitySchemes: { key: { type: "apiKey", in: "header", name: "X-Key" } },
      },
    });
    expect(api.operations.map((o) => [o.name, o.summary, o.scopes])).toEqual([
      ["GET /a/{id}", "A thing", ["GET:/a/{id}"]],
      ["deleteThing", "A thing", ["deleteThing"]],
      ["GET /plain", "Plain", ["GET:/plain"]],
      ["GET /b", "Plain", ["GET:/b"]],
    ]);
  });

  it("a path item $ref to a place the slim copy leaves out, through the full document", async () => {
    const api = await parseApiDocument({
      openapi: "3.0.3",
      info,
      "x-shared": {
        item: { get: { operationId: "shared", responses: { 200: { $ref: "#/components/responses/Ok" } } } },
      },
      paths: { "/s": { $ref: "#/x-shared/item" } },
      components: { responses: { Ok: { description: "ok" } } },
    });
    expect(api.operations.map((o) => o.name)).toEqual(["shared"]);
  });

  it("operation-level security over document-level, [] as public, {} as optional (public)", async () => {
    const api = await parseApiDocument({
      openapi: "3.0.3",
      info,
      security: [{ oauth: ["read"] }],
      paths: {
        "/inherit": { get: { operationId: "inherit" } },
        "/replace": {
          get: { operationId: "replace", security: [{ oauth: ["write", "read"] }, { oauth: ["admin"] }] },
        },
        "/open": { get: { operationId: "open", security: [] } },
        "/optional": { get: { operationId: "optional", security: [{}, { oauth: ["read"] }] } },
        "/and": { get: { operationId: "and", security: [{ oauth: ["read"], key: [] }] } },
      },
      components: {
        securitySchemes: {
          oauth: {
            type: "oauth2",
            flows: {
              clientCredentials: { tokenUrl: "https://x/token", scopes: { read: "Read", write: "Write" } },
            },
          },
          key: { type: "apiKey", in: "header", name: "X-Key" },
        },
      },
    });
    const byName = Object.fromEntries(api.operations.map((o) => [o.name, [o.security, o.alternatives]]));
    expect(byName).toEqual({
      inherit: ["scopes", [["read"]]],
      replace: ["scopes", [["write", "read"], ["admin"]]],
      open: ["public", []],
      optional: ["public", []],
      and: ["scopes", [["read"]]],
    });
    expect(api.scopes).toEqual([
      { name: "read", description: "Read" },
      { name: "write", description: "Write" },
      { name: "admin" },
    ]);
  });

  it("Swagger 2.0 securityDefinitions and YAML text, and warns of undefined schemes", async () => {
    const api = await parseApiDocument(
      [
        "swagger: '2.0'",
        "info: {title: Legacy, version: v4}",
        "basePath: /legacy/",
        "securityDefinitions:",
        "  oauth: {type: oauth2, flow: application, tokenUrl: 'https://x', scopes: {'orders:read': Read orders}}",
        "paths:",
        "  /orders:",
        "    get: {operationId: listOrders, security: [{oauth: ['orders:read']}], tags: [orders]}",
        "    post: {operationId: createOrder, security: [{ghost: []}]}",
      ].join("\n"),
    );
    expect(api).toMatchObject({ specVersion: "2.0", basePath: "/legacy", majorVersion: 4, version: "v4" });
    expect(api.operations[0]).toMatchObject({
      name: "listOrders",
      scopes: ["orders:read"],
      tags: ["orders"],
    });
    expect(api.operations[1]).toMatchObject({ name: "createOrder", security: "operationId" });
    expect(api.warnings).toEqual([
      { pointer: "/paths/~1orders/post/security", message: expect.stringMatching(/ghost/) },
    ]);
  });

  it("warns of an operation that is the same request as an earlier one, and imports both", async () => {
    const api = await parseApiDocument({
      openapi: "3.0.3",
      info: { title: "T", version: "1" },
      paths: {
        "/a/{id}": { get: { operationId: "getById" } },
        "/a/{name}": { get: { operationId: "getByName" }, delete: { operationId: "deleteByName" } },
        "/a/{id}#variant": { get: { operationId: "getVariant" } },
      },
    });
    expect(api.operations.map((o) => o.name)).toEqual(["getById", "getByName", "deleteByName", "getVariant"]);
    // A #variant is meant to describe the same request again: no warning for it.
    expect(api.warnings).toEqual([
      {
        pointer: "/paths/~1a~1{name}/get",
        message: expect.stringContaining("getByName is the same request as getById"),
      },
    ]);
  });

  it("YAML with an unknown directive, without a process warning that would carry the caller's text", async () => {
    const warnings: unknown[] = [];
    const listener = (warning: unknown) => warnings.push(warning);
    process.on("warning", listener);
    try {
      const api = await parseApiDocument(
        ["%SECRET directive", "---", "openapi: 3.1.0", "info: {title: T, version: '1'}", "paths: {}"].join(
          "\n",
        ),
      );
      expect(api.specVersion).toBe("3.1.0");
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off("warning", listener);
    }
  });

  it("does not modify an object it is given", async () => {
    const document = {
      openapi: "3.1.0",
      info,
      paths: { "/a": { $ref: "#/components/pathItems/A" } },
      components: { pathItems: { A: { get: { operationId: "a" } } } },
    };
    const copy = structuredClone(document);
    await parseApiDocument(document);
    expect(document).toEqual(copy);
  });
});

describe("an operation's own scope", () => {
  it("is a scope-token a space-separated scope list can carry", () => {
    expect(ownScopeOf("listPets", "GET", "/pets")).toBe("listPets");
    expect(ownScopeOf(undefined, "GET", "/pets/{id}")).toBe("GET:/pets/{id}");
    expect(ownScopeOf(undefined, "GET", "/files/{id}#get_shared_link")).toBe(
      "GET:/files/{id}#get_shared_link",
    );
    // Before, these were scopes as written, and a token's "find pet by id" read as four scopes.
    expect(ownScopeOf("find pet by id", "GET", "/pets/{id}")).toBe("find%20pet%20by%20id");
    expect(ownScopeOf('a"b\\c', "GET", "/")).toBe("a%22b%5Cc");
    expect(ownScopeOf("créer", "POST", "/")).toBe("cr%C3%A9er");
    expect(ownScopeOf(undefined, "GET", "/héllo world")).toBe("GET:/h%C3%A9llo%20world");
  });
});
