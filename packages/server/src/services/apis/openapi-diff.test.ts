import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { haveOpenapiFixtures, openapiFixture } from "../../testing/shared-fixtures";
import { diffApi } from "./openapi-diff";
import { parseApiDocument } from "./openapi-parse";

const petstorePath = openapiFixture("oai-v2.0-json-petstore.json");
const petstoreV3Path = openapiFixture("swagger-petstore-v3.yaml");

/** Just enough of a Swagger document's shape for the test to edit it. */
interface EditableDocument {
  securityDefinitions?: unknown;
  paths: Record<string, Record<string, Record<string, unknown>>>;
}

describe.skipIf(!haveOpenapiFixtures)("diffApi", () => {
  it("finds added and removed operations and changed scopes in an edited document", async () => {
    const text = readFileSync(petstorePath, "utf8");
    const previous = await parseApiDocument(text);

    const edited: EditableDocument = JSON.parse(text);
    edited.securityDefinitions = {
      petstore_auth: {
        type: "oauth2",
        flow: "implicit",
        authorizationUrl: "https://x/auth",
        scopes: { "read:pets": "read" },
      },
    };
    delete edited.paths["/pets/{petId}"]!.get; // showPetById removed
    edited.paths["/pets"]!.get!.security = [{ petstore_auth: ["read:pets"] }]; // listPets: own scope → read:pets
    edited.paths["/pets/{petId}"]!.delete = {
      operationId: "deletePet",
      responses: { 204: { description: "gone" } },
    };
    const next = await parseApiDocument(edited);

    const diff = diffApi(previous, next);
    expect(diff.added.map((o) => o.name)).toEqual(["deletePet"]);
    expect(diff.removed.map((o) => o.name)).toEqual(["showPetById"]);
    expect(diff.changed).toEqual([
      expect.objectContaining({
        name: "listPets",
        fields: ["security", "alternatives"],
        scopesAdded: ["read:pets"],
        scopesRemoved: ["listPets"],
      }),
    ]);
    expect(diff.scopesAdded.sort()).toEqual(["deletePet", "read:pets"]);
    expect(diff.scopesRemoved.sort()).toEqual(["listPets", "showPetById"]);
  });

  it("is empty for the same document", async () => {
    const text = readFileSync(petstoreV3Path, "utf8");
    const diff = diffApi(await parseApiDocument(text), await parseApiDocument(text));
    expect(diff).toEqual({ added: [], removed: [], changed: [], scopesAdded: [], scopesRemoved: [] });
  });

  it("pairs operations by method and path when a name changes, and sees a scope change inside alternatives", async () => {
    const text = readFileSync(petstoreV3Path, "utf8");
    const previous = await parseApiDocument(text);
    const edited = await parseApiDocument(
      text
        .replace("operationId: getPetById", "operationId: fetchPet")
        .replace(/(operationId: deletePet[\s\S]*?)- read:pets/, "$1- admin:pets"),
    );
    const diff = diffApi(previous, edited);
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    expect(
      diff.changed.map((c) => [c.name, c.before.name, c.fields, c.scopesAdded, c.scopesRemoved]),
    ).toEqual([
      ["fetchPet", "getPetById", ["name", "operationId", "alternatives"], ["fetchPet"], ["getPetById"]],
      ["deletePet", "deletePet", ["alternatives"], ["admin:pets"], ["read:pets"]],
    ]);
  });
});
