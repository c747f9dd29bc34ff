import { readFileSync } from "node:fs";
import { Snapshot } from "@tessera/sdk/core";
import { describe, expect, it } from "vitest";
import { haveOpenapiFixtures, openapiFixture } from "../../testing/shared-fixtures";
import { declaredScopes, toParsedApi, toStoredApi } from "./api-document";
import { apiEntitlementsOfPlans } from "./api-entitlements";
import { diffApi } from "./openapi-diff";
import { parseApiDocument } from "./openapi-parse";

const box = openapiFixture("box-platform.json");
const itWithBox = it.skipIf(!haveOpenapiFixtures);

describe("the stored form of an imported API", () => {
  itWithBox("reads back as what was imported: re-importing Box diffs as nothing", async () => {
    const parsed = await parseApiDocument(readFileSync(box, "utf8"));
    const stored = toStoredApi(parsed, { name: "box", majorVersion: parsed.majorVersion });
    expect(stored).toMatchObject({ key: "box@2", basePath: "/2.0", specVersion: "3.0.2" });
    // A JSON round trip is what the database does to it.
    const diff = diffApi(toParsedApi(JSON.parse(JSON.stringify(stored))), parsed);
    expect(diff).toEqual({ added: [], removed: [], changed: [], scopesAdded: [], scopesRemoved: [] });
  });

  itWithBox("puts #variants after every primary, keeping the document's order otherwise", async () => {
    const parsed = await parseApiDocument(readFileSync(box, "utf8"));
    const names = toStoredApi(parsed, { name: "box", majorVersion: 2 }).operations.map((o) => o.name);
    const primaries = parsed.operations.filter((o) => !o.variant).map((o) => o.name);
    const variants = parsed.operations.filter((o) => o.variant).map((o) => o.name);
    expect(names).toEqual([...primaries, ...variants]);
  });

  it("escapes literal `:` and `*` segments for the route table, and diffs by the document's path", async () => {
    const parsed = await parseApiDocument({
      openapi: "3.1.0",
      info: { title: "Odd", version: "1.0" },
      paths: { "/files/*/:copy": { post: { operationId: "copy" } } },
    });
    const stored = toStoredApi(parsed, { name: "odd", majorVersion: 1 });
    expect(stored.operations[0]).toMatchObject({
      path: "/files/%2A/%3Acopy",
      documentPath: "/files/*/:copy",
    });
    expect(toParsedApi(stored).operations[0]!.path).toBe("/files/*/:copy");
  });

  it("derives the import's fields for an API written without them", () => {
    const api = {
      key: "hand@1",
      name: "hand",
      majorVersion: 1,
      scopes: [{ name: "read" }],
      operations: [
        { name: "list", method: "GET", path: "/things", alternatives: [["read"], ["admin"]] },
        { name: "ping", method: "GET", path: "/ping", alternatives: [] },
      ],
    };
    expect(toParsedApi(api).operations).toEqual([
      expect.objectContaining({ name: "list", security: "scopes", scopes: ["read", "admin"], tags: [] }),
      expect.objectContaining({ name: "ping", security: "public", scopes: [] }),
    ]);
    expect([...declaredScopes(api)]).toEqual(["read", "admin"]);
  });
});

describe("the API scopes a subscription's plans confer", () => {
  it("unions named scopes, roles' scopes and `all`, within what each API declares", () => {
    const snapshot = Snapshot.compile({
      revision: 1,
      features: [],
      permissions: [],
      roles: [
        { key: "reader", permissions: [], scopes: ["read"] },
        { key: "admin", permissions: [], includes: ["reader"], scopes: ["write", "gone"] },
      ],
      plans: [
        {
          key: "base",
          name: "Base",
          kind: "base",
          features: {},
          apiAccess: [{ api: "a@1", roles: ["reader"] }],
        },
        {
          key: "extra",
          name: "Extra",
          kind: "addon",
          features: {},
          apiAccess: [
            { api: "a@1", roles: ["admin"] },
            { api: "b@1", all: true },
            { api: "missing@1", all: true },
          ],
        },
      ],
      flags: [],
      routes: [],
      apis: [
        {
          key: "a@1",
          name: "a",
          majorVersion: 1,
          scopes: [{ name: "read" }, { name: "write" }],
          operations: [],
        },
        {
          key: "b@1",
          name: "b",
          majorVersion: 1,
          scopes: [],
          operations: [{ name: "op", method: "GET", path: "/b", alternatives: [["op"]] }],
        },
      ],
      tenants: [],
      users: [],
      memberships: [],
      subscriptions: [],
      grants: [],
    });
    expect(apiEntitlementsOfPlans(snapshot.catalog, ["base"])).toEqual([{ api: "a@1", scopes: ["read"] }]);
    expect(apiEntitlementsOfPlans(snapshot.catalog, ["base", "extra"])).toEqual([
      { api: "a@1", scopes: ["read", "write"] },
      { api: "b@1", scopes: ["op"] },
    ]);
  });
});
