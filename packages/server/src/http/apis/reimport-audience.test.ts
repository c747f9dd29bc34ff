import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../../testing/backends";
import { startTestServer, type TestServer } from "../../testing/server";

/** A one-operation API; `extra` adds an operation, as a changed version of the document would. */
function document(extra = false) {
  const operation = (operationId: string) => ({ operationId, security: [{ oauth: [operationId] }] });
  return {
    openapi: "3.0.3",
    info: { title: "Pets", version: "2.0.0" },
    servers: [{ url: "https://api.example.com/pets" }],
    components: {
      securitySchemes: {
        oauth: {
          type: "oauth2",
          flows: {
            clientCredentials: {
              tokenUrl: "https://auth.example.com/token",
              scopes: { listPets: "List", addPet: "Add" },
            },
          },
        },
      },
    },
    paths: {
      "/pets": { get: operation("listPets"), ...(extra ? { post: operation("addPet") } : {}) },
    },
  };
}

for (const backend of testBackends()) {
  describe(`re-importing an API on ${backend.name}`, () => {
    let server: TestServer;
    const audienceOf = async () => (await server.call("GET", "/v1/apis/pets@2")).json().audience;
    const importPets = async (body: Record<string, unknown>) => {
      const response = await server.call("POST", "/v1/apis/import", { name: "pets", apply: true, ...body });
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    };

    beforeAll(async () => {
      server = await startTestServer(backend);
    });
    afterAll(async () => server?.close());

    it("keeps the audience when the import names none, and changes or removes it when it does", async () => {
      await importPets({ document: document(), audience: "https://api.example.com/pets" });
      // Before, the audience was dropped: new tokens carried `pets@2`, which the resource server refuses.
      const again = await importPets({ document: document(true) });
      expect(again.api.audience).toBe("https://api.example.com/pets");
      expect(await audienceOf()).toBe("https://api.example.com/pets");
      await importPets({ document: document(true), audience: "https://pets.example.com" });
      expect(await audienceOf()).toBe("https://pets.example.com");
      const removed = await importPets({ document: document(true), audience: null });
      expect(removed.api.audience).toBeUndefined();
      expect(await audienceOf()).toBeUndefined();
      // An import with no audience of an API that has none stays without one.
      await importPets({ document: document() });
      expect(await audienceOf()).toBeUndefined();
    });
  });
}
