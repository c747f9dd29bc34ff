import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../../testing/backends";
import { startTestServer, type TestServer } from "../../testing/server";
import { haveOpenapiFixtures, openapiFixtures } from "../../testing/shared-fixtures";

const fixtures = openapiFixtures;

/** JSON fixtures go up as objects, YAML ones as text: both forms the import accepts. */
function documentOf(file: string): string | object {
  const text = readFileSync(path.join(fixtures, file), "utf8");
  return file.endsWith(".json") ? JSON.parse(text) : text;
}

interface Expectation {
  name: string;
  key: string;
  operations: number;
  basePath: string;
  /** operation name → the scopes it requires (alternatives flattened), or [] for public. */
  scopes: Record<string, string[]>;
}

const FIXTURES: Record<string, Expectation> = {
  "box-platform.json": {
    name: "box",
    key: "box@2",
    operations: 296,
    basePath: "/2.0",
    scopes: { get_files_id: ["get_files_id"], get_authorize: [], "post_oauth2_token#refresh": [] },
  },
  "oai-v2.0-json-petstore.json": {
    name: "petstore-swagger2",
    key: "petstore-swagger2@1",
    operations: 3,
    basePath: "/v1",
    scopes: { listPets: ["listPets"] },
  },
  "oai-v3.0-api-with-examples.yaml": {
    name: "examples",
    key: "examples@2",
    operations: 2,
    basePath: "",
    scopes: { listVersionsv2: ["listVersionsv2"] },
  },
  "oai-v3.0-callback-example.yaml": {
    name: "callbacks",
    key: "callbacks@1",
    operations: 1,
    basePath: "",
    scopes: { "POST /streams": ["POST:/streams"] },
  },
  "oai-v3.0-petstore-expanded.yaml": {
    name: "petstore-expanded",
    key: "petstore-expanded@2",
    operations: 4,
    basePath: "/v2",
    scopes: { findPets: ["findPets"], addPet: ["addPet"] },
  },
  "oai-v3.0-uspto.yaml": {
    name: "uspto",
    key: "uspto@1",
    operations: 3,
    basePath: "/ds-api",
    scopes: { "list-data-sets": ["list-data-sets"] },
  },
  "oai-v3.1-non-oauth-scopes.yaml": {
    name: "non-oauth",
    key: "non-oauth@1",
    operations: 1,
    basePath: "",
    scopes: { "GET /users": ["read:users", "public"] },
  },
  "oai-v3.1-webhook-example.yaml": {
    name: "webhooks",
    key: "webhooks@1",
    operations: 0,
    basePath: "",
    scopes: {},
  },
  "swagger-petstore-v3.yaml": {
    name: "petstore",
    key: "petstore@3",
    operations: 19,
    basePath: "/api/v3",
    scopes: { updatePet: ["write:pets", "read:pets"], getPetById: ["getPetById", "write:pets", "read:pets"] },
  },
  "twilio-api_v2010.json": {
    name: "twilio",
    key: "twilio@1",
    operations: 197,
    basePath: "",
    scopes: { ListAccount: ["ListAccount"], CreateAccount: ["CreateAccount"] },
  },
  "twilio-chat_v1.json": {
    name: "twilio-chat",
    key: "twilio-chat@1",
    operations: 40,
    basePath: "",
    scopes: { FetchChannel: ["FetchChannel"] },
  },
  "twilio-chat_v2.json": {
    name: "twilio-chat",
    key: "twilio-chat@2",
    operations: 54,
    basePath: "",
    scopes: { ListBinding: ["ListBinding"] },
  },
  "twilio-chat_v3.json": {
    name: "twilio-chat",
    key: "twilio-chat@3",
    operations: 1,
    basePath: "",
    scopes: { UpdateChannel: ["UpdateChannel"] },
  },
};

interface Operation {
  name: string;
  method: string;
  path: string;
  variant?: string;
  scopes: string[];
  alternatives: string[][];
}

for (const backend of testBackends()) {
  describe.skipIf(!haveOpenapiFixtures)(`importing OpenAPI documents over HTTP on ${backend.name}`, () => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(backend);
    });
    afterAll(async () => server?.close());

    it.each(Object.entries(FIXTURES))("%s: previews, then imports", async (file, expected) => {
      const document = documentOf(file);
      const preview = await server.call("POST", "/v1/apis/import", { name: expected.name, document });
      expect(preview.statusCode, preview.body).toBe(200);
      expect(preview.json()).toMatchObject({
        applied: false,
        replaced: false,
        api: { key: expected.key, operationCount: expected.operations, basePath: expected.basePath },
        warnings: [],
      });
      expect(preview.json().diff.added).toHaveLength(expected.operations);
      expect(preview.json().revision).toBeUndefined();
      // A preview writes nothing.
      expect((await server.call("GET", `/v1/apis/${expected.key}`)).statusCode).toBe(404);

      const applied = await server.call("POST", "/v1/apis/import", {
        name: expected.name,
        document,
        apply: true,
      });
      expect(applied.statusCode, applied.body).toBe(200);
      expect(applied.json()).toMatchObject({ applied: true, api: { key: expected.key } });
      expect(applied.json().revision).toBeGreaterThan(0);

      const listed = await server.call("GET", `/v1/apis/${expected.key}/operations`);
      expect(listed.statusCode, listed.body).toBe(200);
      const operations = listed.json().items as Operation[];
      expect(operations).toHaveLength(expected.operations);
      const byName = new Map(operations.map((o) => [o.name, o]));
      for (const [name, scopes] of Object.entries(expected.scopes)) {
        expect(byName.get(name)?.scopes, name).toEqual(scopes);
        if (scopes.length === 0) expect(byName.get(name)?.alternatives).toEqual([]);
      }
    });

    it("lists every imported API with its counts", async () => {
      const response = await server.call("GET", "/v1/apis?limit=1000");
      expect(response.statusCode, response.body).toBe(200);
      const items = response.json().items as { key: string; operationCount: number }[];
      const counts = Object.fromEntries(items.map((i) => [i.key, i.operationCount]));
      for (const expected of Object.values(FIXTURES)) expect(counts[expected.key]).toBe(expected.operations);
    });

    it("keeps twilio-chat's majors apart: each its own API, its own scopes", async () => {
      const v1 = (await server.call("GET", "/v1/apis/twilio-chat@1")).json();
      const v2 = (await server.call("GET", "/v1/apis/twilio-chat@2")).json();
      expect(v1).toMatchObject({ name: "twilio-chat", majorVersion: 1 });
      expect(v2).toMatchObject({ name: "twilio-chat", majorVersion: 2 });
      expect(v1.operations[0].path.startsWith("/v1/")).toBe(true);
      expect(v2.operations[0].path.startsWith("/v2/")).toBe(true);
    });

    it("stores Box's primary operations ahead of their #variants, so routes reach the primary", async () => {
      const { operations } = (await server.call("GET", "/v1/apis/box@2")).json() as {
        operations: Operation[];
      };
      const firstVariant = operations.findIndex((o) => o.variant !== undefined);
      expect(firstVariant).toBe(296 - 19);
      expect(operations.slice(firstVariant).every((o) => o.variant !== undefined)).toBe(true);

      await server.call("POST", "/v1/tenants", { id: "box-customer" });
      await server.call("POST", "/v1/plans", {
        key: "box-all",
        name: "Box, everything",
        apiAccess: [{ api: "box@2", all: true }],
      });
      const sub = await server.call("POST", "/v1/subscriptions", {
        tenantId: "box-customer",
        planKey: "box-all",
      });
      expect(sub.statusCode, sub.body).toBe(201);
      const check = async (method: string, route: string) =>
        (
          await server.call("POST", "/v1/check", {
            subject: { tenantId: "box-customer" },
            route: { method, path: route },
          })
        ).json();
      expect(await check("GET", "/2.0/files/123")).toMatchObject({
        entitled: true,
        reason: "ENTITLED",
        source: { type: "route", key: "box@2#get_files_id" },
      });
      expect(await check("GET", "/files/123")).toMatchObject({ entitled: false, reason: "ROUTE_NOT_FOUND" });
      expect(await check("GET", "/2.0/authorize")).toMatchObject({
        entitled: true,
        message: "The route is public.",
      });
    });

    it("re-importing the same document writes nothing", async () => {
      const before = (await server.call("GET", "/v1/changes?limit=1000")).json().items.length;
      const again = await server.call("POST", "/v1/apis/import", {
        name: "box",
        document: documentOf("box-platform.json"),
        apply: true,
      });
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json()).toMatchObject({
        applied: true,
        replaced: true,
        diff: { added: [], removed: [], changed: [], scopesAdded: [], scopesRemoved: [] },
      });
      expect((await server.call("GET", "/v1/changes?limit=1000")).json().items.length).toBe(before);
    });

    it("re-importing writes what this server's snapshot has not yet seen another server change", async () => {
      const importV1 = () =>
        server.call("POST", "/v1/apis/import", {
          name: "stale",
          document: documentOf("oai-v3.0-petstore-expanded.yaml"),
          apply: true,
        });
      const first = await importV1();
      expect(first.statusCode).toBe(200);
      const key = first.json().api.key as string;
      // Another server replaces it: written to the database, not yet followed by this server's snapshot.
      const { store } = server.tessera;
      const stored = await store.getResource<Record<string, unknown>>(server.environmentId, "api", key);
      await store.write(server.environmentId, "elsewhere", (tx) =>
        tx.update("api", key, { ...stored!.data, title: "Replaced elsewhere" }),
      );
      // Before, this server compared the document with its snapshot (still the first import), called it the
      // same, wrote nothing and answered applied: the API stayed as the other server left it.
      const again = await importV1();
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json().applied).toBe(true);
      const now = await store.getResource<{ title: string }>(server.environmentId, "api", key);
      expect(now!.data.title).toBe(stored!.data.title);
    });

    it("imports Box's 296 operations through HTTP (timed for the report, not asserted)", async () => {
      const text = readFileSync(path.join(fixtures, "box-platform.json"), "utf8");
      const started = performance.now();
      const response = await server.call("POST", "/v1/apis/import", {
        name: "box-timed",
        document: text,
        apply: true,
      });
      const elapsed = performance.now() - started;
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().api.operationCount).toBe(296);
      console.log(`[${backend.name}] Box import (1.7 MB as text, apply) over HTTP: ${elapsed.toFixed(0)} ms`);
    });
  });
}
