import type { Static } from "@sinclair/typebox";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type { ChangeSchema, EnvironmentSchema, TokenSchema } from "../../schemas/admin";
import type { ApiKeySchema, ApplicationSchema } from "../../schemas/credentials";
import type { ApiKeyView } from "../../services/credentials/api-keys";
import type { ApplicationView } from "../../services/credentials/applications";
import type { TokenView } from "../../services/tokens";
import type { ChangeRecord, Environment } from "../../storage/store";
import { testBackends } from "../../testing/backends";
import { startTestServer, type TestServer } from "../../testing/server";

const FORM = "application/x-www-form-urlencoded";

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  default?: unknown;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  additionalProperties?: boolean | Schema;
  patternProperties?: Record<string, Schema>;
};
type Operation = {
  operationId: string;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};
type Document = { paths: Record<string, Record<string, Operation>> };

/**
 * The document against the server: each call below names the operation it is, and its status must be one
 * the document declares for it. Its success body must match the schema the document gives, and be the body
 * the handler returned: a response schema also drives serialization (fast-json-stringify drops a field it
 * does not list), so a schema that missed a field would change what clients get.
 */
describe("Tessera's own API description tells the truth", () => {
  let server: TestServer;
  let doc: Document;
  const operations = new Map<string, Operation>();
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // What the last handler returned, before serialization (undefined when it sent no object).
  let returned: unknown;
  const exercised = new Set<string>();
  const compared = new Set<string>();

  beforeAll(async () => {
    server = await startTestServer(testBackends()[0]!);
    server.tessera.app.addHook("preSerialization", async (_request, _reply, payload) => {
      returned = payload;
      return payload;
    });
    doc = (await server.call("GET", "/openapi.json", undefined, null)).json();
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) operations.set(op.operationId, op);
    }
  });
  afterAll(async () => server?.close());

  /** Checks a response against the operation's declared responses; returns its JSON body. */
  function expectDeclared(operationId: string, response: LightMyRequestResponse, success: number) {
    const op = operations.get(operationId);
    expect(op, operationId).toBeDefined();
    expect(response.statusCode, `${operationId}: ${response.body}`).toBe(success);
    expect(Object.keys(op!.responses), `${operationId} answered ${success}`).toContain(String(success));
    exercised.add(operationId);
    if (response.body === "") return undefined;
    const body = response.json();
    const schema = op!.responses[String(success)]!.content?.["application/json"]?.schema;
    if (schema !== undefined) {
      const validate = ajv.compile(schema);
      expect(validate(body), `${operationId}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
    if (returned !== undefined) {
      // Nothing the handler returned is lost or changed on the way out.
      expect(body, operationId).toEqual(JSON.parse(JSON.stringify(returned)));
      compared.add(operationId);
    }
    return body;
  }
  async function call(
    operationId: string,
    success: number,
    method: string,
    url: string,
    body?: unknown,
    token?: string | null,
  ) {
    returned = undefined;
    return expectDeclared(operationId, await server.call(method, url, body, token), success);
  }
  async function form(operationId: string, url: string, fields: Record<string, string>) {
    returned = undefined;
    const response = await server.tessera.app.inject({
      method: "POST",
      url,
      headers: { "content-type": FORM },
      payload: new URLSearchParams(fields).toString(),
    });
    return expectDeclared(operationId, response, 200);
  }

  it("declares the status each operation answers, and one success status per operation", async () => {
    await server.tessera.services.catalog.create(server.environmentId, "test", "api", {
      key: "payments@1",
      name: "payments",
      majorVersion: 1,
      basePath: "",
      scopes: [{ name: "payments:read" }],
      operations: [{ name: "list", method: "GET", path: "/payments", alternatives: [["payments:read"]] }],
    });
    await call("createPlan", 201, "POST", "/v1/plans", {
      key: "pro",
      name: "Pro",
      apiAccess: [{ api: "payments@1", scopes: ["payments:read"] }],
    });
    await call("createTenant", 201, "POST", "/v1/tenants", { id: "acme" });
    await call("createSubscription", 201, "POST", "/v1/subscriptions", {
      id: "acme-sub",
      tenantId: "acme",
      planKey: "pro",
    });

    // Applications and their keys: every one of these documented only a 201.
    const app = await call("createApplication", 201, "POST", "/v1/applications", {
      tenantId: "acme",
      name: "sync",
      api: "payments@1",
      metadata: { team: { name: "core" } },
    });
    expect(app.clientSecret).toEqual(expect.any(String));
    expect(app.secrets).toHaveLength(1);
    const appUrl = `/v1/applications/${app.id}`;
    await call("listApplications", 200, "GET", "/v1/applications?tenantId=acme");
    await call("getApplication", 200, "GET", appUrl);
    await call("updateApplication", 200, "PATCH", appUrl, { tokenTtlSeconds: null, name: "sync 2" });
    const rotated = await call("rotateClientSecret", 200, "POST", `${appUrl}/secret/rotate`, {
      gracePeriodSeconds: 60,
    });
    expect(rotated.secrets).toHaveLength(2);

    const key = await call("createApiKey", 201, "POST", `${appUrl}/keys`, {
      name: "k",
      scopes: ["payments:read"],
      ipAllowList: ["10.0.0.0/8"],
      timeWindow: { days: [1, 2], start: "08:00", end: "18:00", timezone: "UTC" },
      metadata: { a: [1, null] },
    });
    expect(key.key).toEqual(expect.any(String));
    await call("createApiKey", 201, "POST", `${appUrl}/keys`, {});
    const keyUrl = `${appUrl}/keys/${key.id}`;
    await call("listApiKeys", 200, "GET", `${appUrl}/keys`);
    await call("getApiKey", 200, "GET", keyUrl);
    await call("updateApiKey", 200, "PATCH", keyUrl, { name: null, timeWindow: null });
    await call("verifyApiKey", 200, "POST", "/v1/keys/verify", { key: key.key });
    const next = await call("rotateApiKey", 200, "POST", `${keyUrl}/rotate`, { gracePeriodSeconds: 0 });
    expect(next.previous.replacedBy).toBe(next.id);
    await call("verifyApiKey", 200, "POST", "/v1/keys/verify", { key: "tsr_nope" });
    await call("revokeApiKey", 200, "DELETE", `${appUrl}/keys/${next.id}`);

    // The OAuth endpoints, with the form bodies RFC 6749 has clients send.
    const client = { client_id: app.clientId, client_secret: rotated.clientSecret };
    const token = await form("oauthToken", "/oauth/token", { grant_type: "client_credentials", ...client });
    await form("oauthIntrospect", "/oauth/introspect", { token: token.access_token, ...client });
    await form("oauthRevoke", "/oauth/revoke", { token: token.access_token, ...client });
    // And as JSON, which the document also names.
    const json = { grant_type: "client_credentials", ...client };
    await call("oauthToken", 200, "POST", "/oauth/token", json, null);
    await call("listSigningKeys", 200, "GET", "/v1/oauth/keys");
    await call("rotateSigningKey", 200, "POST", "/v1/oauth/keys/rotate");

    await call("revokeApplication", 200, "DELETE", appUrl);

    // Decisions that documented only their errors.
    await call("lookupEntitlements", 200, "POST", "/v1/lookup", { subject: { tenantId: "acme" } });
    await call("listSubscriptionEntitlements", 200, "GET", "/v1/entitlements?subscriptionKey=acme-sub");

    // Environments, tokens and changes.
    await call("listEnvironments", 200, "GET", "/v1/environments");
    await call("createEnvironment", 201, "POST", "/v1/environments", { key: "staging" });
    const created = await call("createToken", 201, "POST", "/v1/tokens", {
      name: "ci",
      kind: "server",
      expiresAt: "2999-01-01T00:00:00Z",
    });
    expect(created.token).toEqual(expect.any(String));
    await call("listTokens", 200, "GET", "/v1/tokens?limit=1");
    await call("listTokens", 200, "GET", "/v1/tokens");
    await call("revokeToken", 200, "DELETE", `/v1/tokens/${created.id}`);
    const changes = await call("listChanges", 200, "GET", "/v1/changes?limit=5");
    expect(changes.items.length).toBeGreaterThan(0);
    await call("listChanges", 200, "GET", "/v1/changes?kind=api_key");
    await call("deleteSubscription", 204, "DELETE", "/v1/subscriptions/acme-sub");

    expect(exercised.size).toBeGreaterThanOrEqual(30);
    // Every body the new response schemas serialize was compared with what its handler returned.
    expect([...compared]).toEqual(
      expect.arrayContaining([
        "createApplication",
        "listApplications",
        "getApplication",
        "updateApplication",
        "rotateClientSecret",
        "revokeApplication",
        "createApiKey",
        "listApiKeys",
        "getApiKey",
        "updateApiKey",
        "rotateApiKey",
        "revokeApiKey",
        "verifyApiKey",
        "listEnvironments",
        "createEnvironment",
        "createToken",
        "listTokens",
        "revokeToken",
        "listChanges",
      ]),
    );
    // verifyApiKey documented both 200 and 201; no operation answers two success statuses.
    const several = [...operations.values()]
      .filter((op) => Object.keys(op.responses).filter((s) => s.startsWith("2")).length !== 1)
      .map((op) => op.operationId);
    expect(several).toEqual([]);
  });

  it("describes the bodies of applications, API keys, tokens, environments and changes", () => {
    // Checked by the type checker: a field added to a view and not to its schema would be dropped from
    // every response.
    expectTypeOf<keyof Static<typeof ApplicationSchema>>().toEqualTypeOf<keyof ApplicationView>();
    expectTypeOf<keyof Static<typeof ApiKeySchema>>().toEqualTypeOf<keyof ApiKeyView>();
    expectTypeOf<keyof Static<typeof TokenSchema>>().toEqualTypeOf<keyof TokenView>();
    expectTypeOf<keyof Static<typeof EnvironmentSchema>>().toEqualTypeOf<keyof Environment>();
    expectTypeOf<keyof Static<typeof ChangeSchema>>().toEqualTypeOf<keyof ChangeRecord>();
    expectTypeOf<ApiKeyView>().toMatchTypeOf<Static<typeof ApiKeySchema>>();
    expectTypeOf<ApplicationView>().toMatchTypeOf<Static<typeof ApplicationSchema>>();
    expectTypeOf<TokenView>().toMatchTypeOf<Static<typeof TokenSchema>>();
    expectTypeOf<Environment>().toMatchTypeOf<Static<typeof EnvironmentSchema>>();
    expectTypeOf<ChangeRecord>().toMatchTypeOf<Static<typeof ChangeSchema>>();
    const described = (operationId: string, status: string) =>
      operations.get(operationId)!.responses[status]?.content?.["application/json"]?.schema?.properties;
    for (const [operationId, status, field] of [
      ["createApplication", "201", "clientSecret"],
      ["listApplications", "200", "items"],
      ["getApplication", "200", "clientId"],
      ["updateApplication", "200", "revokedAt"],
      ["revokeApplication", "200", "revokedAt"],
      ["rotateClientSecret", "200", "clientSecret"],
      ["createApiKey", "201", "key"],
      ["listApiKeys", "200", "items"],
      ["getApiKey", "200", "timeWindow"],
      ["updateApiKey", "200", "scopes"],
      ["revokeApiKey", "200", "revokedAt"],
      ["rotateApiKey", "200", "previous"],
      ["createToken", "201", "token"],
      ["listTokens", "200", "nextCursor"],
      ["revokeToken", "200", "revokedAt"],
      ["listEnvironments", "200", "items"],
      ["createEnvironment", "201", "revision"],
      ["listChanges", "200", "nextAfterRevision"],
    ] as const) {
      expect(described(operationId, status), `${operationId} ${status}`).toHaveProperty(field);
    }
  });

  it("does not require a field the server fills in with its default", async () => {
    const required: string[] = [];
    const walk = (schema: Schema | undefined, where: string) => {
      if (schema === undefined || typeof schema !== "object") return;
      for (const name of schema.required ?? []) {
        if (schema.properties?.[name]?.default !== undefined) required.push(`${where}/${name}`);
      }
      for (const [name, property] of Object.entries(schema.properties ?? {}))
        walk(property, `${where}/${name}`);
      for (const sub of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])])
        walk(sub, where);
      walk(schema.items, `${where}/items`);
    };
    for (const op of operations.values()) {
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        walk(media.schema, `${op.operationId} (${type})`);
      }
    }
    expect(required).toEqual([]);

    // The server still fills them in: what was required is optional, not without a value.
    const plan = await server.call("POST", "/v1/plans", { key: "basic", name: "Basic" });
    expect(plan.statusCode, plan.body).toBe(201);
    expect(plan.json()).toMatchObject({ kind: "base", features: {} });
    const flag = await server.call("POST", "/v1/flags", { key: "beta" });
    expect(flag.statusCode, flag.body).toBe(201);
    expect(flag.json()).toMatchObject({ enabled: true, default: false });
    const role = await server.call("POST", "/v1/roles", { key: "viewer" });
    expect(role.statusCode, role.body).toBe(201);
    expect(role.json()).toMatchObject({ permissions: [] });
    await server.call("POST", "/v1/tenants", { id: "globex" });
    await server.call("POST", "/v1/users", { id: "ann" });
    const member = await server.call("PUT", "/v1/tenants/globex/members/ann", {});
    expect(member.statusCode, member.body).toBe(200);
    expect(member.json()).toMatchObject({ roles: [] });
    // And a stored plan, flag or role still always has them: its response schema requires them.
    const planItem = operations.get("getPlan")!.responses["200"]!.content!["application/json"]!.schema!;
    expect(planItem.required).toEqual(expect.arrayContaining(["kind", "features"]));
  });

  it("documents the OAuth endpoints' form bodies, as well as JSON", () => {
    for (const operationId of ["oauthToken", "oauthIntrospect", "oauthRevoke"]) {
      const content = operations.get(operationId)!.requestBody!.content;
      expect(Object.keys(content), operationId).toEqual([FORM, "application/json"]);
      expect(content[FORM]!.schema).toEqual(content["application/json"]!.schema);
      expect(content[FORM]!.schema.properties, operationId).toHaveProperty("client_id");
    }
  });
});
