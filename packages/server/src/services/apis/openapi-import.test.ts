import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { compileRouteTable, matchRoute } from "@tessera/sdk/core";
import { describe as describeAll, expect, it } from "vitest";
import { haveOpenapiFixtures, openapiFixtures } from "../../testing/shared-fixtures";
import { type ApiOperation, type ParsedApi, parseApiDocument, toRouteDefinitions } from "./openapi-import";

const fixtures = openapiFixtures;
const documents = haveOpenapiFixtures
  ? readdirSync(fixtures).filter((name) => /\.(json|ya?ml)$/.test(name))
  : [];
const describe = describeAll.skipIf(!haveOpenapiFixtures);

const cache = new Map<string, Promise<ParsedApi>>();
function load(name: string): Promise<ParsedApi> {
  let api = cache.get(name);
  if (!api) {
    api = parseApiDocument(readFileSync(path.join(fixtures, name), "utf8"));
    cache.set(name, api);
  }
  return api;
}

function operation(api: ParsedApi, name: string): ApiOperation {
  const found = api.operations.find((o) => o.name === name);
  if (!found) throw new Error(`${api.title} has no operation ${name}`);
  return found;
}

describe("every fixture imports, and its operations become route rules", () => {
  it("has the fixtures", () => {
    expect(documents.length).toBeGreaterThanOrEqual(13);
  });

  it.each(documents)("%s", async (name) => {
    const api = await load(name);
    expect(api.title).not.toBe("");
    expect(api.warnings).toEqual([]);
    for (const o of api.operations) {
      expect(o.method).toMatch(/^[A-Z]+$/);
      expect(o.path.startsWith("/")).toBe(true);
      if (o.security === "public") expect(o.alternatives).toEqual([]);
      else expect(o.alternatives.length).toBeGreaterThan(0);
      expect(new Set(o.scopes)).toEqual(new Set(o.alternatives.flat()));
    }
    const catalog = new Set(api.scopes.map((s) => s.name));
    for (const scope of api.operations.flatMap((o) => o.scopes)) expect(catalog.has(scope)).toBe(true);

    // Each route matches a request built from its own template, and lands on that operation.
    const routes = toRouteDefinitions(api);
    const table = compileRouteTable(routes);
    for (const route of routes) {
      const request = route.path.replace(/\{[^}]+\}/g, "x1");
      expect(matchRoute(table, route.method, request)?.value).toBe(route.value);
    }
  });
});

describe("Box", () => {
  it("imports all 296 operations, with the OAuth2 scopes it defines in the catalog", async () => {
    const api = await load("box-platform.json");
    expect(api.operations).toHaveLength(296);
    expect(api).toMatchObject({ specVersion: "3.0.2", basePath: "/2.0", majorVersion: 2 });
    expect(api.scopes).toContainEqual({
      name: "root_readonly",
      description: "Read all files and folders stored in Box",
    });
    expect(api.scopes).toContainEqual({ name: "manage_legal_hold", description: "Manage Legal Holds" });
  });

  it("requires an operation's own scope where the document-level OAuth2 requirement lists none", async () => {
    const api = await load("box-platform.json");
    expect(operation(api, "get_files_id")).toMatchObject({
      method: "GET",
      path: "/files/{file_id}",
      summary: "Get file information",
      security: "operationId",
      scopes: ["get_files_id"],
      alternatives: [["get_files_id"]],
    });
    expect(api.scopes).toContainEqual({ name: "get_files_id", description: "Get file information" });
    expect(operation(api, "delete_folders_id").scopes).toEqual(["delete_folders_id"]);
  });

  it("makes the operations with `security: []` public", async () => {
    const api = await load("box-platform.json");
    const publicOnes = api.operations.filter((o) => o.security === "public").map((o) => o.name);
    expect(publicOnes.sort()).toEqual([
      "get_authorize",
      "get_zip_downloads_id_content",
      "post_oauth2_revoke",
      "post_oauth2_token",
      "post_oauth2_token#refresh",
    ]);
  });

  it("keeps #variants as operations, and routes their endpoint to the primary operation", async () => {
    const api = await load("box-platform.json");
    expect(operation(api, "get_files_id#get_shared_link")).toMatchObject({
      path: "/files/{file_id}",
      variant: "get_shared_link",
      scopes: ["get_files_id#get_shared_link"],
    });
    const table = compileRouteTable(toRouteDefinitions(api, { basePath: api.basePath }));
    expect(matchRoute(table, "GET", "/2.0/files/123?fields=shared_link")?.value.name).toBe("get_files_id");
    expect(matchRoute(table, "PUT", "/2.0/files/123")?.value.name).toBe("put_files_id");
    expect(matchRoute(table, "GET", "/files/123")).toBeUndefined();
  });
});

describe("Swagger petstore (OpenAPI 3)", () => {
  it("requires write:pets and read:pets together where the requirement lists both", async () => {
    const api = await load("swagger-petstore-v3.yaml");
    expect(operation(api, "updatePet")).toMatchObject({
      method: "PUT",
      path: "/pet",
      security: "scopes",
      scopes: ["write:pets", "read:pets"],
      alternatives: [["write:pets", "read:pets"]],
    });
    expect(api.scopes.slice(0, 2)).toEqual([
      { name: "write:pets", description: "modify pets in your account" },
      { name: "read:pets", description: "read your pets" },
    ]);
  });

  it("records alternatives: an API key (the operation's own scope) OR the OAuth2 scopes", async () => {
    const api = await load("swagger-petstore-v3.yaml");
    const getPetById = operation(api, "getPetById");
    expect(getPetById.alternatives).toEqual([["getPetById"], ["write:pets", "read:pets"]]);
    expect(getPetById.scopes).toEqual(["getPetById", "write:pets", "read:pets"]);
    expect(getPetById.security).toBe("scopes");
  });

  it("falls back to the operationId for a scope-less API key, or for no security at all", async () => {
    const api = await load("swagger-petstore-v3.yaml");
    expect(operation(api, "getInventory")).toMatchObject({
      security: "operationId",
      scopes: ["getInventory"],
    });
    expect(operation(api, "placeOrder")).toMatchObject({ security: "operationId", scopes: ["placeOrder"] });
    expect(api).toMatchObject({ basePath: "/api/v3", majorVersion: 3 });
  });
});

describe("OpenAPI examples", () => {
  it("reads scopes from a non-OAuth (bearer) scheme in 3.1", async () => {
    const api = await load("oai-v3.1-non-oauth-scopes.yaml");
    expect(api.operations).toEqual([
      expect.objectContaining({
        name: "GET /users",
        security: "scopes",
        scopes: ["read:users", "public"],
        alternatives: [["read:users", "public"]],
      }),
    ]);
    expect(api.scopes).toEqual([{ name: "read:users" }, { name: "public" }]);
  });

  it("uses operationIds as scopes when nothing is secured (petstore-expanded)", async () => {
    const api = await load("oai-v3.0-petstore-expanded.yaml");
    expect(api.operations.map((o) => [o.name, o.security, o.scopes])).toEqual([
      ["findPets", "operationId", ["findPets"]],
      ["addPet", "operationId", ["addPet"]],
      // A scope cannot hold a space: the operationId is percent-encoded.
      ["find pet by id", "operationId", ["find%20pet%20by%20id"]],
      ["deletePet", "operationId", ["deletePet"]],
    ]);
  });

  it("names an operation without operationId by METHOD /path, and leaves its callbacks out", async () => {
    const api = await load("oai-v3.0-callback-example.yaml");
    expect(api.operations).toHaveLength(1);
    expect(api.operations[0]).toMatchObject({
      name: "POST /streams",
      method: "POST",
      path: "/streams",
      security: "operationId",
      scopes: ["POST:/streams"],
    });
    expect(api.operations[0]).not.toHaveProperty("operationId");
  });

  it("has no operations in a webhooks-only 3.1 document", async () => {
    const api = await load("oai-v3.1-webhook-example.yaml");
    expect(api).toMatchObject({ specVersion: "3.1.0", operations: [], scopes: [] });
  });

  it("reads the base path from a server URL with variables (uspto)", async () => {
    const api = await load("oai-v3.0-uspto.yaml");
    expect(api).toMatchObject({ basePath: "/ds-api", majorVersion: 1 });
    expect(operation(api, "perform-search")).toMatchObject({
      method: "POST",
      path: "/{dataset}/{version}/records",
    });
  });

  it("reads Swagger 2.0, its basePath and its operations", async () => {
    const api = await load("oai-v2.0-json-petstore.json");
    expect(api).toMatchObject({
      specVersion: "2.0",
      basePath: "/v1",
      majorVersion: 1,
      title: "Swagger Petstore",
    });
    expect(api.operations.map((o) => `${o.method} ${o.path} ${o.name}`)).toEqual([
      "GET /pets listPets",
      "POST /pets createPets",
      "GET /pets/{petId} showPetById",
    ]);
  });

  it("reads operations that have operationIds (api-with-examples)", async () => {
    const api = await load("oai-v3.0-api-with-examples.yaml");
    expect(api.operations.map((o) => o.name)).toEqual(["listVersionsv2", "getVersionDetailsv2"]);
    expect(api.majorVersion).toBe(2);
  });
});

describe("Twilio", () => {
  it("gates HTTP-basic operations by their operationId, with mixed templates like {Sid}.json", async () => {
    const api = await load("twilio-api_v2010.json");
    expect(api.operations).toHaveLength(197);
    expect(operation(api, "FetchAccount")).toMatchObject({
      method: "GET",
      path: "/2010-04-01/Accounts/{Sid}.json",
      security: "operationId",
      scopes: ["FetchAccount"],
    });
    const table = compileRouteTable(toRouteDefinitions(api));
    const match = matchRoute(table, "GET", "/2010-04-01/Accounts/AC123.json");
    expect(match?.value.name).toBe("FetchAccount");
    expect(match?.params).toEqual({ Sid: "AC123" });
  });

  it("keeps chat v1, v2 and v3 apart by major version though all say info.version 1.0.0", async () => {
    const versions = await Promise.all(["v1", "v2", "v3"].map((v) => load(`twilio-chat_${v}.json`)));
    expect(versions.map((api) => [api.version, api.majorVersion])).toEqual([
      ["1.0.0", 1],
      ["1.0.0", 2],
      ["1.0.0", 3],
    ]);
    // The same operationId exists in v1 and v3: only the major version tells their entitlements apart.
    expect(operation(versions[0]!, "UpdateChannel").path).toBe("/v1/Services/{ServiceSid}/Channels/{Sid}");
    expect(operation(versions[2]!, "UpdateChannel").path).toBe("/v3/Services/{ServiceSid}/Channels/{Sid}");
  });
});
