import type { Static } from "@sinclair/typebox";
import type { FeatureSummary, PermissionSummary, relations, SubjectEntitlements } from "@tessera/sdk/core";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type { ChangeSchema, EnvironmentSchema, TokenSchema } from "../../schemas/admin";
import type { ApiKeySchema, ApplicationSchema } from "../../schemas/credentials";
import type { LookupSchema, SubscriptionEntitlementsSchema } from "../../schemas/decisions";
import type {
  AuthorizationServerMetadataSchema,
  RotatedSigningKeySchema,
  SigningKeyListSchema,
  TokenResponseSchema,
} from "../../schemas/oauth";
import type {
  BatchCheckAnswerSchema,
  CheckAnswerSchema,
  EntityTypeSchema,
  ExpandAnswerSchema,
  ListObjectsAnswerSchema,
  ListUsersAnswerSchema,
  ModelSchema,
  TuplePageSchema,
  TupleWriteSchema,
} from "../../schemas/relationship-answers";
import type { ApiKeyView } from "../../services/credentials/api-keys";
import type { ApplicationView } from "../../services/credentials/applications";
import type { DecisionService } from "../../services/decisions";
import type { OAuthService, TokenResponse } from "../../services/oauth/oauth-service";
import type { SigningKeyView } from "../../services/oauth/signing-keys";
import type { ModelView } from "../../services/relationships/model-service";
import type { RelationshipService } from "../../services/relationships/relationship-service";
import type { TokenView } from "../../services/tokens";
import type { StoredTuple } from "../../storage/relationship-store";
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

/** The relationship operations that answer a body; the test of them compares every one. */
const RELATIONSHIP_OPERATIONS = [
  "getRelationshipModel",
  "putRelationshipModel",
  "listEntityTypes",
  "createEntityType",
  "getEntityType",
  "listEntityTypeRelations",
  "createEntityTypeRelation",
  "getEntityTypeRelation",
  "listEntityTypeActions",
  "getEntityTypeAction",
  "putEntityTypeAction",
  "writeTuples",
  "listTuples",
  "checkRelation",
  "batchCheckRelations",
  "listObjects",
  "listRelationshipUsers",
  "expandRelation",
  "seedCreateRelations",
  "seedPutAction",
];

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
    const content = op!.responses[String(success)]!.content;
    if (response.body === "") {
      // Nothing sent (a 204, a revocation's 200): the document must not promise a body either.
      expect(content, `${operationId} declares a body it does not send`).toBeUndefined();
      expect(returned, operationId).toBeUndefined();
      compared.add(operationId);
      return undefined;
    }
    const body = response.json();
    const schema = content?.["application/json"]?.schema;
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
  /** Each of these was called, and what it sent was compared with what its handler returned. */
  function expectCompared(operationIds: readonly string[]) {
    expect(operationIds.filter((id) => !compared.has(id))).toEqual([]);
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
    expect(token).toMatchObject({ token_type: "Bearer", scope: "payments:read" });
    const live = await form("oauthIntrospect", "/oauth/introspect", { token: token.access_token, ...client });
    expect(live).toMatchObject({
      active: true,
      client_id: app.clientId,
      tenant_id: "acme",
      env: "development",
    });
    await form("oauthRevoke", "/oauth/revoke", { token: token.access_token, ...client });
    // RFC 7662: anything not active is `{active: false}` and nothing else.
    const revoked = await form("oauthIntrospect", "/oauth/introspect", {
      token: token.access_token,
      ...client,
    });
    expect(revoked).toEqual({ active: false });
    // And as JSON, which the document also names; and by a Tessera token with the decide right.
    const json = { grant_type: "client_credentials", ...client };
    const second = await call("oauthToken", 200, "POST", "/oauth/token", json, null);
    await call("oauthIntrospect", 200, "POST", "/oauth/introspect", { token: second.access_token });
    await call("oauthMetadata", 200, "GET", "/.well-known/oauth-authorization-server", undefined, null);
    await call("openidConfiguration", 200, "GET", "/.well-known/openid-configuration", undefined, null);
    const rotation = await call("rotateSigningKey", 200, "POST", "/v1/oauth/keys/rotate");
    expect(rotation.previous).toEqual(expect.any(String));
    const keys = await call("listSigningKeys", 200, "GET", "/v1/oauth/keys");
    expect(keys.items.map((k: { status: string }) => k.status)).toEqual(
      expect.arrayContaining(["active", "retiring"]),
    );
    // The previous key stays published beside the new one.
    const jwks = await call("jwks", 200, "GET", "/.well-known/jwks.json", undefined, null);
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual(
      expect.arrayContaining([rotation.kid, rotation.previous]),
    );

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
    expectCompared([
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
      "oauthToken",
      "oauthIntrospect",
      "oauthRevoke",
      "oauthMetadata",
      "openidConfiguration",
      "jwks",
      "listSigningKeys",
      "rotateSigningKey",
      "lookupEntitlements",
      "listSubscriptionEntitlements",
    ]);
    // verifyApiKey documented both 200 and 201; no operation answers two success statuses.
    const several = [...operations.values()]
      .filter((op) => Object.keys(op.responses).filter((s) => s.startsWith("2")).length !== 1)
      .map((op) => op.operationId);
    expect(several).toEqual([]);
  });

  it("answers lookups and a subscription's entitlements as the evaluator gives them", async () => {
    // Every kind of value: a limit that add-ons raise, a boolean, a config object, an unlimited limit.
    for (const [key, type] of [
      ["seats", "limit"],
      ["sso", "boolean"],
      ["theme", "config"],
      ["exports", "limit"],
    ]) {
      expect((await server.call("POST", "/v1/features", { key, name: key, type })).statusCode).toBe(201);
    }
    await server.call("POST", "/v1/permissions", { key: "reports.read", featureKey: "sso" });
    await server.call("POST", "/v1/permissions", { key: "reports.write" });
    await server.call("POST", "/v1/roles", { key: "analyst", permissions: ["reports.read"] });
    await server.call("POST", "/v1/plans", {
      key: "team",
      name: "Team",
      features: { seats: 5, sso: true, theme: { color: "teal", tags: ["a", null] }, exports: null },
      apiAccess: [{ api: "payments@1", all: true }],
    });
    await server.call("POST", "/v1/plans", {
      key: "more",
      name: "More",
      kind: "addon",
      features: { seats: 10 },
    });
    await server.call("POST", "/v1/tenants", { id: "initech" });
    await server.call("POST", "/v1/users", { id: "milton" });
    await server.call("PUT", "/v1/tenants/initech/members/milton", { roles: ["analyst"] });
    await server.call("POST", "/v1/subscriptions", {
      id: "initech-sub",
      tenantId: "initech",
      planKey: "team",
      addOns: ["more"],
      externalKey: "cus_42",
    });
    // A grant that ends: the lookup says until when its answer holds.
    const ends = new Date(Date.now() + 86_400_000).toISOString();
    await server.call("POST", "/v1/grants", {
      tenantId: "initech",
      userId: "milton",
      featureKey: "seats",
      value: 100,
      expiresAt: ends,
    });

    const user = { tenantId: "initech", userId: "milton", attributes: { plan: "x" } };
    const known = await call("lookupEntitlements", 200, "POST", "/v1/lookup", { subject: user });
    expect(known.subject).toBeUndefined();
    expect(known.plans).toEqual(["team", "more"]);
    expect(known.validUntil).toBe(ends);
    const theme = known.features.find((f: { key: string }) => f.key === "theme");
    expect(theme).toMatchObject({ entitled: true, value: { color: "teal", tags: ["a", null] } });
    expect(theme.source).toEqual({ type: "plan", key: "team" });
    expect(known.features.find((f: { key: string }) => f.key === "exports").value).toBeNull();
    expect(known.permissions).toEqual([
      expect.objectContaining({ key: "reports.read", entitled: true, source: expect.any(Object) }),
    ]);
    // An unknown subject: its own denial, with an id, and empty lists.
    const unknown = await call("lookupEntitlements", 200, "POST", "/v1/lookup", {
      subject: { tenantId: "initech", userId: "nobody" },
      at: "2030-01-01T00:00:00Z",
    });
    expect(unknown.subject).toMatchObject({ entitled: false, reason: "USER_NOT_FOUND" });
    expect(unknown.subject.decisionId).toEqual(expect.any(String));
    await call("lookupEntitlements", 200, "POST", "/v1/lookup", { subject: { tenantId: "nowhere" } });

    const byKey = await call(
      "listSubscriptionEntitlements",
      200,
      "GET",
      "/v1/entitlements?subscriptionKey=cus_42",
    );
    expect(byKey.subscription).toMatchObject({ externalKey: "cus_42", addOns: ["more"], active: true });
    expect(byKey.entitlements).toEqual(
      expect.arrayContaining([
        { featureKey: "seats", type: "limit", value: 15, source: { type: "plan", key: "team" } },
        {
          featureKey: "theme",
          type: "config",
          value: { color: "teal", tags: ["a", null] },
          source: expect.any(Object),
        },
        { featureKey: "exports", type: "limit", value: null, source: expect.any(Object) },
      ]),
    );
    expect(byKey.apis).toEqual([{ api: "payments@1", scopes: ["payments:read"] }]);
    const byId = await call(
      "listSubscriptionEntitlements",
      200,
      "GET",
      "/v1/entitlements?subscriptionKey=initech-sub",
    );
    expect(byId).toEqual({ ...byKey, revision: byId.revision });
    expectCompared(["lookupEntitlements", "listSubscriptionEntitlements"]);
  });

  it("answers the relationship model, its entity types, tuples and queries as the services give them", async () => {
    const v1 = "/v1/relationships";
    const types = `${v1}/entity-types`;
    const seed = "/resources/entity-types/v1";
    // The model edited through entity types, the seed's way and Tessera's.
    const group = await call("createEntityType", 201, "POST", types, {
      key: "group",
      relations: [{ key: "member", subjectEntityTypeKeys: ["user"] }],
      actions: [{ key: "see", relationKeys: ["member"] }],
    });
    expect(group).toEqual({
      key: "group",
      relations: [{ key: "member", subjectEntityTypeKeys: ["user"] }],
      actions: [{ key: "see", relationKeys: ["member"] }],
    });
    await call("seedCreateRelations", 201, "POST", `${seed}/folder/relations`, {
      relations: [{ key: "viewer", subjectEntityKeys: ["user", "group#member"] }],
    });
    await call("seedPutAction", 200, "PATCH", `${seed}/folder/actions/read`, {
      key: "read",
      relationKeys: ["viewer"],
    });
    const rels = await call("seedCreateRelations", 201, "POST", `${seed}/document/relations`, {
      relations: [
        { key: "reader", subjectEntityKeys: ["user", "user:*"] },
        { key: "parent", subjectEntityKeys: ["folder"] },
      ],
    });
    expect(rels[0]).toEqual({
      vendorId: server.environmentId,
      targetEntityTypeKey: "document",
      key: "reader",
      subjectEntityTypeKeys: ["user", "user:*"],
    });
    const arrow = { fromRelation: "parent", toAction: "read" };
    const action = await call("seedPutAction", 200, "PATCH", `${seed}/document/actions/read`, {
      key: "read",
      relationKeys: ["reader", arrow],
    });
    expect(action.relationKeys).toEqual(["reader", arrow]);
    await call("createEntityTypeRelation", 201, "POST", `${types}/document/relations`, {
      key: "writer",
      subjectEntityTypeKeys: ["user"],
    });
    await call("getEntityTypeRelation", 200, "GET", `${types}/document/relations/writer`);
    await call("listEntityTypeRelations", 200, "GET", `${types}/document/relations`);
    await call("putEntityTypeAction", 200, "PUT", `${types}/document/actions/edit`, {
      relationKeys: ["writer"],
    });
    const read = await call("getEntityTypeAction", 200, "GET", `${types}/document/actions/read`);
    expect(read.relationKeys).toEqual(["reader", arrow]);
    await call("listEntityTypeActions", 200, "GET", `${types}/document/actions`);
    const document = await call("getEntityType", 200, "GET", `${types}/document`);
    expect(document.actions).toHaveLength(2);
    expect((await call("listEntityTypes", 200, "GET", types)).items).toHaveLength(3);
    const edited = await call("getRelationshipModel", 200, "GET", `${v1}/model`);
    expect(edited.entityTypes).toHaveLength(3);
    expect(edited.dsl).toContain("define read: reader or read from parent");

    // Written as DSL, with a condition, a wildcard, an intersection and an exclusion; then as JSON carrying
    // a field of its own (OpenFGA's own JSON models have an `id`), which is stored and answered as sent.
    const dsl = `model
  schema 1.1

type user

type group
  relations
    define member: [user]

type folder
  relations
    define viewer: [user, group#member]

type document
  relations
    define parent: [folder]
    define blocked: [user]
    define writer: [user, user with in_office]
    define reader: [user, user:*] or writer or viewer from parent
    define approver: [user] and writer
    define editor: writer but not blocked

condition in_office(ip: ipaddress) {
  ip.in_cidr("10.0.0.0/8")
}
`;
    const put = await call("putRelationshipModel", 200, "PUT", `${v1}/model`, { dsl });
    expect(put).toMatchObject({ dsl, entityTypes: null });
    expect(put.model.conditions).toHaveProperty("in_office");
    const asJson = await call("putRelationshipModel", 200, "PUT", `${v1}/model`, {
      model: { ...put.model, id: "01HVMMBCMGZNT3SED4Z17ECXCA" },
    });
    expect(asJson.model.id).toBe("01HVMMBCMGZNT3SED4Z17ECXCA");
    expect(asJson.version).toBe(put.version + 1);
    await call("getRelationshipModel", 200, "GET", `${v1}/model`);

    const later = new Date(Date.now() + 86_400_000).toISOString();
    const written = await call("writeTuples", 200, "POST", `${v1}/tuples/write`, {
      writes: [
        { object: "document:d1", relation: "parent", user: "folder:f1" },
        { object: "folder:f1", relation: "viewer", user: "group:eng#member" },
        { object: "group:eng", relation: "member", user: "user:carol" },
        { object: "document:d1", relation: "reader", user: "user:*" },
        { object: "document:d1", relation: "writer", user: "user:anne", expiresAt: later },
        { object: "document:d2", relation: "writer", user: "user:anne" },
        {
          object: "document:d1",
          relation: "writer",
          user: "user:ip",
          condition: { name: "in_office", context: { ip: "10.1.2.3" } },
        },
        { object: "document:d1", relation: "blocked", user: "user:bob" },
      ],
    });
    expect(written).toMatchObject({ written: 8, deleted: 0 });
    await call("writeTuples", 200, "POST", `${v1}/tuples/write`, {
      deletes: [{ object: "document:d1", relation: "blocked", user: "user:bob" }],
    });
    const page = await call("listTuples", 200, "GET", `${v1}/tuples?limit=1`);
    expect(page.nextCursor).toEqual(expect.any(String));
    const all = await call("listTuples", 200, "GET", `${v1}/tuples?object=document:d1`);
    expect(all.nextCursor).toBeUndefined();
    expect(all.items).toEqual(
      expect.arrayContaining([
        { object: "document:d1", relation: "writer", user: "user:anne", expiresAt: later },
        {
          object: "document:d1",
          relation: "writer",
          user: "user:ip",
          condition: { name: "in_office", context: { ip: "10.1.2.3" } },
        },
      ]),
    );

    const carol = { object: "document:d1", relation: "reader", user: "user:carol" };
    const granted = await call("checkRelation", 200, "POST", `${v1}/check`, { ...carol, explain: true });
    expect(granted).toMatchObject({ allowed: true, reason: "ENTITLED" });
    expect(granted.path.length).toBeGreaterThan(0);
    const editor = { object: "document:d1", relation: "editor", user: "user:carol" };
    const refused = await call("checkRelation", 200, "POST", `${v1}/check`, { ...editor, explain: true });
    expect(refused).toMatchObject({ allowed: false, reason: "RELATION_MISSING" });
    expect(refused.notes.length).toBeGreaterThan(0);
    await call("checkRelation", 200, "POST", `${v1}/check`, {
      object: "document:d1",
      relation: "writer",
      user: "user:ip",
      context: { ip: "10.9.9.9" },
      atLeastRevision: written.revision,
    });
    const batch = await call("batchCheckRelations", 200, "POST", `${v1}/check/batch`, {
      checks: [
        carol,
        { ...editor, explain: true },
        { object: "nothing:1", relation: "reader", user: "user:x" },
      ],
    });
    expect(batch.results[2]).toEqual({
      allowed: false,
      error: { code: "UNKNOWN_TYPE", message: expect.any(String), path: "checks[2].object" },
    });

    const objects = { type: "document", relation: "writer", user: "user:anne", pageSize: 1 };
    const first = await call("listObjects", 200, "POST", `${v1}/list-objects`, objects);
    expect(first.cursor).toEqual(expect.any(String));
    const last = await call("listObjects", 200, "POST", `${v1}/list-objects`, {
      ...objects,
      cursor: first.cursor,
    });
    expect(last.cursor).toBeNull();
    const users = await call("listRelationshipUsers", 200, "POST", `${v1}/list-users`, {
      object: "document:d1",
      relation: "reader",
      userFilters: [{ type: "user" }, { type: "group", relation: "member" }],
      context: { ip: "10.0.0.1" },
    });
    expect(users.users).toContain("user:*");
    // One level of each kind of node: a union of a leaf, a computed userset and an arrow; an intersection;
    // a difference.
    for (const relation of ["reader", "approver", "editor"]) {
      const { tree } = await call("expandRelation", 200, "POST", `${v1}/expand`, {
        object: "document:d1",
        relation,
      });
      expect(Object.keys(tree)).toEqual(
        expect.arrayContaining([
          "name",
          { reader: "union", approver: "intersection", editor: "difference" }[relation],
        ]),
      );
    }
    expectCompared(RELATIONSHIP_OPERATIONS);
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

  it("describes the bodies of decisions, the relationship model and queries, and OAuth, field for field", () => {
    // Checked by the type checker, as above: the keys of each schema are the keys of what its handler
    // returns, and what it returns fits the schema.
    type Answer<K extends "writeTuples" | "listTuples" | "check" | "listObjects" | "listUsers" | "expand"> =
      Awaited<ReturnType<RelationshipService[K]>>;
    expectTypeOf<keyof Static<typeof ModelSchema>>().toEqualTypeOf<keyof ModelView>();
    expectTypeOf<ModelView>().toMatchTypeOf<Static<typeof ModelSchema>>();
    expectTypeOf<keyof Static<typeof EntityTypeSchema>>().toEqualTypeOf<keyof relations.SeedEntityType>();
    expectTypeOf<relations.SeedEntityType>().toMatchTypeOf<Static<typeof EntityTypeSchema>>();
    expectTypeOf<keyof Static<typeof TupleWriteSchema>>().toEqualTypeOf<keyof Answer<"writeTuples">>();
    expectTypeOf<keyof Static<typeof TuplePageSchema>>().toEqualTypeOf<keyof Answer<"listTuples">>();
    expectTypeOf<Answer<"listTuples">>().toMatchTypeOf<Static<typeof TuplePageSchema>>();
    expectTypeOf<keyof Static<typeof TuplePageSchema>["items"][number]>().toEqualTypeOf<keyof StoredTuple>();
    // A check that cannot be answered is thrown as a problem: its answer has no `error`.
    expectTypeOf<keyof Static<typeof CheckAnswerSchema>>().toEqualTypeOf<
      Exclude<keyof Answer<"check">, "error">
    >();
    expectTypeOf<Omit<Answer<"check">, "error">>().toMatchTypeOf<Static<typeof CheckAnswerSchema>>();
    type BatchResult = Static<typeof BatchCheckAnswerSchema>["results"][number];
    expectTypeOf<keyof BatchResult>().toEqualTypeOf<keyof relations.CheckResult>();
    expectTypeOf<relations.CheckResult>().toMatchTypeOf<BatchResult>();
    expectTypeOf<keyof Static<typeof ListObjectsAnswerSchema>>().toEqualTypeOf<keyof Answer<"listObjects">>();
    expectTypeOf<Answer<"listObjects">>().toMatchTypeOf<Static<typeof ListObjectsAnswerSchema>>();
    expectTypeOf<keyof Static<typeof ListUsersAnswerSchema>>().toEqualTypeOf<keyof Answer<"listUsers">>();
    expectTypeOf<keyof Static<typeof ExpandAnswerSchema>>().toEqualTypeOf<keyof Answer<"expand">>();
    type Tree = Static<typeof ExpandAnswerSchema>["tree"];
    expectTypeOf<keyof Tree>().toEqualTypeOf<keyof relations.UsersetTree>();
    expectTypeOf<relations.UsersetTree>().toMatchTypeOf<Tree>();

    // The lookup's validUntil is the route's ISO string of the evaluator's number.
    type Lookup = Static<typeof LookupSchema>;
    expectTypeOf<keyof Lookup>().toEqualTypeOf<keyof SubjectEntitlements>();
    expectTypeOf<keyof Lookup["features"][number]>().toEqualTypeOf<keyof FeatureSummary>();
    expectTypeOf<keyof Lookup["permissions"][number]>().toEqualTypeOf<keyof PermissionSummary>();
    expectTypeOf<FeatureSummary>().toMatchTypeOf<Lookup["features"][number]>();
    expectTypeOf<PermissionSummary>().toMatchTypeOf<Lookup["permissions"][number]>();
    type Conferred = Awaited<ReturnType<DecisionService["subscriptionEntitlements"]>>;
    type Entitlements = Static<typeof SubscriptionEntitlementsSchema>;
    expectTypeOf<keyof Entitlements>().toEqualTypeOf<keyof Conferred>();
    expectTypeOf<keyof Entitlements["subscription"]>().toEqualTypeOf<keyof Conferred["subscription"]>();
    expectTypeOf<keyof Entitlements["entitlements"][number]>().toEqualTypeOf<
      keyof Conferred["entitlements"][number]
    >();
    expectTypeOf<Conferred>().toMatchTypeOf<Entitlements>();

    expectTypeOf<keyof Static<typeof TokenResponseSchema>>().toEqualTypeOf<keyof TokenResponse>();
    expectTypeOf<TokenResponse>().toMatchTypeOf<Static<typeof TokenResponseSchema>>();
    type Metadata = ReturnType<OAuthService["metadata"]>;
    expectTypeOf<keyof Static<typeof AuthorizationServerMetadataSchema>>().toEqualTypeOf<keyof Metadata>();
    expectTypeOf<Metadata>().toMatchTypeOf<Static<typeof AuthorizationServerMetadataSchema>>();
    type SigningKey = Static<typeof SigningKeyListSchema>["items"][number];
    expectTypeOf<keyof SigningKey>().toEqualTypeOf<keyof SigningKeyView>();
    expectTypeOf<SigningKeyView>().toMatchTypeOf<SigningKey>();
    type Rotation = Awaited<ReturnType<OAuthService["rotateSigningKey"]>>;
    expectTypeOf<keyof Static<typeof RotatedSigningKeySchema>>().toEqualTypeOf<keyof Rotation>();

    // And in the document: no success answers a body it does not describe. A body is an object, an array
    // or a choice of them; a response without content is one that sends nothing.
    const undescribed: string[] = [];
    for (const op of operations.values()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!status.startsWith("2")) continue;
        const schema = response.content?.["application/json"]?.schema;
        const empty = status === "204" || op.operationId === "oauthRevoke";
        if (
          empty ? response.content !== undefined : schema?.type === undefined && schema?.anyOf === undefined
        )
          undescribed.push(`${op.operationId} ${status}`);
      }
    }
    expect(undescribed).toEqual([]);
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
