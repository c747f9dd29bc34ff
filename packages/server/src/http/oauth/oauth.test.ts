import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_TOKEN_TTL_SECONDS } from "../../services/credentials/applications";
import { testBackends } from "../../testing/backends";
import { startTestServer, type TestServer } from "../../testing/server";

const ISSUER = "http://tessera.test";

for (const backend of testBackends()) {
  describe(`OAuth2 authorization server on ${backend.name}`, () => {
    let server: TestServer;
    let clientId: string;
    let clientSecret: string;

    const form = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
      server.tessera.app.inject({
        method: "POST",
        url,
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        payload: new URLSearchParams(fields).toString(),
      });
    const basic = (id: string, secret: string) => ({
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`,
    });
    const token = async (fields: Record<string, string> = {}, id = clientId, secret = clientSecret) =>
      form("/oauth/token", { grant_type: "client_credentials", ...fields }, basic(id, secret));

    beforeAll(async () => {
      server = await startTestServer(backend);
      await server.tessera.services.catalog.create(server.environmentId, "test", "api", {
        key: "payments@1",
        name: "payments",
        majorVersion: 1,
        basePath: "",
        scopes: [{ name: "payments:read" }, { name: "payments:write" }, { name: "refunds:write" }],
        operations: [
          { name: "listPayments", method: "GET", path: "/payments", alternatives: [["payments:read"]] },
          { name: "createPayment", method: "POST", path: "/payments", alternatives: [["payments:write"]] },
        ],
      });
      await server.tessera.services.catalog.create(server.environmentId, "test", "api", {
        key: "ledger@2",
        name: "ledger",
        majorVersion: 2,
        audience: "https://ledger.example",
        scopes: [{ name: "ledger:read" }],
        operations: [],
      });
      for (const [key, scopes] of [
        ["pro", ["payments:read", "payments:write"]],
        ["basic", ["payments:read"]],
      ] as const) {
        const r = await server.call("POST", "/v1/plans", {
          key,
          name: key,
          features: {},
          apiAccess: [{ api: "payments@1", scopes }],
        });
        expect(r.statusCode, r.body).toBe(201);
      }
      await server.call("POST", "/v1/tenants", { id: "acme" });
      const sub = await server.call("POST", "/v1/subscriptions", {
        id: "acme-sub",
        tenantId: "acme",
        planKey: "pro",
      });
      expect(sub.statusCode, sub.body).toBe(201);
      const app = await server.call("POST", "/v1/applications", {
        tenantId: "acme",
        name: "sync",
        api: "payments@1",
      });
      expect(app.statusCode, app.body).toBe(201);
      clientId = app.json().clientId;
      clientSecret = app.json().clientSecret;
    });
    afterAll(async () => server?.close());

    it("publishes RFC 8414 metadata at both well-known paths, and a JWKS", async () => {
      for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]) {
        const r = await server.call("GET", path, undefined, null);
        expect(r.statusCode).toBe(200);
        expect(r.json()).toMatchObject({
          issuer: ISSUER,
          token_endpoint: `${ISSUER}/oauth/token`,
          jwks_uri: `${ISSUER}/.well-known/jwks.json`,
          revocation_endpoint: `${ISSUER}/oauth/revoke`,
          introspection_endpoint: `${ISSUER}/oauth/introspect`,
          grant_types_supported: ["client_credentials"],
          token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
          response_types_supported: [],
        });
        expect(r.json()).not.toHaveProperty("scopes_supported");
        // Only for private_key_jwt and client_secret_jwt, which clients here cannot use (RFC 8414 §2).
        expect(r.json()).not.toHaveProperty("token_endpoint_auth_signing_alg_values_supported");
      }
      const jwks = (await server.call("GET", "/.well-known/jwks.json", undefined, null)).json();
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).toMatchObject({
        kty: "EC",
        crv: "P-256",
        alg: "ES256",
        use: "sig",
        kid: expect.any(String),
      });
      expect(jwks.keys[0]).not.toHaveProperty("d");
    });

    it("issues an RFC 9068 token with client_secret_basic, scoped to the entitlement", async () => {
      const r = await token();
      expect(r.statusCode, r.body).toBe(200);
      expect(r.headers["cache-control"]).toBe("no-store");
      const body = r.json();
      expect(body).toMatchObject({
        token_type: "Bearer",
        expires_in: 900,
        scope: "payments:read payments:write",
      });
      expect(decodeProtectedHeader(body.access_token)).toMatchObject({ alg: "ES256", typ: "at+jwt" });
      const jwks = (await server.call("GET", "/.well-known/jwks.json", undefined, null)).json();
      const { payload } = await jwtVerify(body.access_token, createLocalJWKSet(jwks), {
        issuer: ISSUER,
        audience: "payments@1",
        typ: "at+jwt",
      });
      expect(payload).toMatchObject({
        sub: clientId,
        client_id: clientId,
        scope: "payments:read payments:write",
        tenant_id: "acme",
        application_id: clientId,
        env: "development",
      });
      expect(payload.exp! - payload.iat!).toBe(900);
      expect(payload.jti).toEqual(expect.any(String));
    });

    it("accepts client_secret_post, a narrower scope, and an API named by its audience", async () => {
      const r = await form("/oauth/token", {
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: clientSecret,
        scope: "payments:read",
        resource: "payments@1",
      });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json().scope).toBe("payments:read");
      const ledger = await token({ audience: "https://ledger.example" });
      expect(ledger.json()).toMatchObject({ error: "invalid_scope" });
    });

    it("refuses bad clients with invalid_client (401, Basic challenge)", async () => {
      const wrong = await token({}, clientId, "tsr_cs_wrong");
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toMatchObject({ error: "invalid_client" });
      expect(wrong.headers["www-authenticate"]).toMatch(/^Basic/);
      const unknown = await token({}, "app_nope", clientSecret);
      expect(unknown.statusCode).toBe(401);
      const none = await form("/oauth/token", { grant_type: "client_credentials" });
      expect(none.statusCode).toBe(401);
      const both = await form(
        "/oauth/token",
        { grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret },
        basic(clientId, clientSecret),
      );
      expect(both.json()).toMatchObject({ error: "invalid_request" });
    });

    it("refuses a scope outside the entitlement, unknown targets and grants", async () => {
      const outside = await token({ scope: "payments:read refunds:write" });
      expect(outside.statusCode).toBe(400);
      expect(outside.json()).toMatchObject({ error: "invalid_scope" });
      expect(outside.json().error_description).toContain("refunds:write");
      expect((await token({ resource: "nope@1" })).json()).toMatchObject({ error: "invalid_target" });
      const grant = await form("/oauth/token", { grant_type: "password" }, basic(clientId, clientSecret));
      expect(grant.json()).toMatchObject({ error: "unsupported_grant_type" });
      // Only to a client that authenticated: a wrong secret hears invalid_client, whatever the grant.
      const stranger = await form("/oauth/token", { grant_type: "password" }, basic(clientId, "wrong"));
      expect(stranger.statusCode).toBe(401);
      expect(stranger.json()).toMatchObject({ error: "invalid_client" });
      const none = await form("/oauth/token", {}, basic(clientId, "wrong"));
      expect(none.json()).toMatchObject({ error: "invalid_client" });
      const repeated = await server.tessera.app.inject({
        method: "POST",
        url: "/oauth/token",
        headers: { "content-type": "application/x-www-form-urlencoded", ...basic(clientId, clientSecret) },
        payload: "grant_type=client_credentials&scope=a&scope=b",
      });
      expect(repeated.json()).toMatchObject({ error: "invalid_request" });
    });

    it("needs a target when the application has no default API", async () => {
      const app = (
        await server.call("POST", "/v1/applications", { tenantId: "acme", name: "no-default" })
      ).json();
      const r = await token({}, app.clientId, app.clientSecret);
      expect(r.json()).toMatchObject({ error: "invalid_request" });
      expect((await token({ resource: "payments@1" }, app.clientId, app.clientSecret)).statusCode).toBe(200);
    });

    it("a downgrade stops the lost scope at once; the remaining scope still issues", async () => {
      const down = await server.call("PATCH", "/v1/subscriptions/acme-sub", { planKey: "basic" });
      expect(down.statusCode, down.body).toBe(200);
      expect((await token({ scope: "payments:write" })).json()).toMatchObject({ error: "invalid_scope" });
      const rest = await token();
      expect(rest.json().scope).toBe("payments:read");
      await server.call("PATCH", "/v1/subscriptions/acme-sub", { planKey: "pro" });
    });

    it("introspects active, inactive and revoked tokens (RFC 7662) and revokes (RFC 7009)", async () => {
      const accessToken = (await token()).json().access_token;
      const active = await form("/oauth/introspect", { token: accessToken }, basic(clientId, clientSecret));
      expect(active.statusCode, active.body).toBe(200);
      expect(active.json()).toMatchObject({
        active: true,
        client_id: clientId,
        scope: "payments:read payments:write",
        aud: "payments@1",
      });
      // A gateway may introspect with a Tessera server key.
      const serverKey = (await server.call("POST", "/v1/tokens", { name: "gateway", kind: "server" })).json()
        .token;
      const byGateway = await form(
        "/oauth/introspect",
        { token: accessToken },
        { authorization: `Bearer ${serverKey}` },
      );
      expect(byGateway.json()).toMatchObject({ active: true });
      // A bad bearer credential is refused with a Bearer challenge (RFC 6749 §5.2, RFC 6750 §3).
      const badBearer = await form(
        "/oauth/introspect",
        { token: accessToken },
        { authorization: "Bearer nope" },
      );
      expect(badBearer.statusCode).toBe(401);
      expect(badBearer.json()).toMatchObject({ error: "invalid_client" });
      expect(badBearer.headers["www-authenticate"]).toBe('Bearer realm="tessera", error="invalid_token"');
      const garbage = await form("/oauth/introspect", { token: "not.a.jwt" }, basic(clientId, clientSecret));
      expect(garbage.json()).toEqual({ active: false });
      // Another client can neither see nor revoke it.
      const other = (
        await server.call("POST", "/v1/applications", { tenantId: "acme", name: "other" })
      ).json();
      const foreign = await form(
        "/oauth/introspect",
        { token: accessToken },
        basic(other.clientId, other.clientSecret),
      );
      expect(foreign.json()).toEqual({ active: false });
      expect(
        (await form("/oauth/revoke", { token: accessToken }, basic(other.clientId, other.clientSecret)))
          .statusCode,
      ).toBe(200);
      expect(
        (await form("/oauth/introspect", { token: accessToken }, basic(clientId, clientSecret))).json()
          .active,
      ).toBe(true);

      const revoked = await form(
        "/oauth/revoke",
        { token: accessToken, token_type_hint: "access_token" },
        basic(clientId, clientSecret),
      );
      expect(revoked.statusCode).toBe(200);
      expect((await form("/oauth/revoke", { token: "junk" }, basic(clientId, clientSecret))).statusCode).toBe(
        200,
      );
      const after = await form("/oauth/introspect", { token: accessToken }, basic(clientId, clientSecret));
      expect(after.json()).toEqual({ active: false });
      expect((await form("/oauth/revoke", { token: "junk" }, basic(clientId, "bad"))).statusCode).toBe(401);
    });

    it("client secret rotation: old and new both work during the grace period; zero grace ends the old at once", async () => {
      const app = (
        await server.call("POST", "/v1/applications", { tenantId: "acme", name: "rot", api: "payments@1" })
      ).json();
      const rotated = await server.call("POST", `/v1/applications/${app.id}/secret/rotate`, {
        gracePeriodSeconds: 3600,
      });
      expect(rotated.statusCode, rotated.body).toBe(200);
      const next = rotated.json().clientSecret;
      expect(next).toMatch(/^tsr_cs_/);
      expect(rotated.json().secrets).toHaveLength(2);
      expect((await token({}, app.clientId, app.clientSecret)).statusCode).toBe(200);
      expect((await token({}, app.clientId, next)).statusCode).toBe(200);
      const third = (
        await server.call("POST", `/v1/applications/${app.id}/secret/rotate`, { gracePeriodSeconds: 0 })
      ).json().clientSecret;
      expect((await token({}, app.clientId, next)).statusCode).toBe(401);
      expect((await token({}, app.clientId, third)).statusCode).toBe(200);
    });

    it("a revoked application gets invalid_client at once, and its tokens go inactive", async () => {
      const app = (
        await server.call("POST", "/v1/applications", { tenantId: "acme", name: "doomed", api: "payments@1" })
      ).json();
      const accessToken = (await token({}, app.clientId, app.clientSecret)).json().access_token;
      const gone = await server.call("DELETE", `/v1/applications/${app.id}`);
      expect(gone.statusCode).toBe(200);
      expect(gone.json().revokedAt).toEqual(expect.any(String));
      const r = await token({}, app.clientId, app.clientSecret);
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ error: "invalid_client" });
      const serverKey = (await server.call("POST", "/v1/tokens", { name: "gw2", kind: "server" })).json()
        .token;
      const intro = await form(
        "/oauth/introspect",
        { token: accessToken },
        { authorization: `Bearer ${serverKey}` },
      );
      expect(intro.json()).toEqual({ active: false });
    });

    it("signing key rotation keeps the old key published until its tokens' max TTL has passed", async () => {
      const before = (await token()).json().access_token;
      const oldKid = decodeProtectedHeader(before).kid;
      const rotated = await server.call("POST", "/v1/oauth/keys/rotate");
      expect(rotated.statusCode, rotated.body).toBe(200);
      expect(rotated.json()).toMatchObject({ previous: oldKid });
      const after = (await token()).json().access_token;
      expect(decodeProtectedHeader(after).kid).toBe(rotated.json().kid);
      const jwks = (await server.call("GET", "/.well-known/jwks.json", undefined, null)).json();
      expect(jwks.keys.map((k: { kid: string }) => k.kid).sort()).toEqual(
        [oldKid, rotated.json().kid].sort(),
      );
      for (const t of [before, after]) {
        await expect(jwtVerify(t, createLocalJWKSet(jwks), { issuer: ISSUER })).resolves.toBeDefined();
        expect(
          (await form("/oauth/introspect", { token: t }, basic(clientId, clientSecret))).json().active,
        ).toBe(true);
      }
      const keys = server.tessera.services.oauth.signingKeys;
      const retiredAt = Date.parse(keys.list().find((k) => k.kid === oldKid)!.retiredAt!);
      const kids = (at: number) => keys.jwks(new Date(at)).keys.map((k) => k.kid);
      expect(kids(retiredAt + MAX_TOKEN_TTL_SECONDS * 1000 - 1000)).toContain(oldKid);
      expect(kids(retiredAt + MAX_TOKEN_TTL_SECONDS * 1000 + 1000)).not.toContain(oldKid);
      // Only admins rotate.
      const manager = (await server.call("POST", "/v1/tokens", { name: "m", rights: ["manage"] })).json()
        .token;
      expect((await server.call("POST", "/v1/oauth/keys/rotate", undefined, manager)).statusCode).toBe(403);
    });

    it("rotations asked for at once all happen, one after another, leaving one active key", async () => {
      // Before, on PostgreSQL, rotations at the same moment from two environments (whose writes do not wait
      // for each other) failed with 500s: each made its key active against the one active key allowed.
      const production = await server.call("POST", "/v1/tokens", {
        name: "prod-admin",
        rights: ["admin"],
        environment: "production",
      });
      expect(production.statusCode, production.body).toBe(201);
      const admins = [undefined, production.json().token as string];
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          server.call("POST", "/v1/oauth/keys/rotate", undefined, admins[i % 2]),
        ),
      );
      for (const r of results) expect(r.statusCode, r.body).toBe(200);
      const keys = await server.tessera.services.oauth.signingKeys
        .refresh()
        .then(() => server.tessera.services.oauth.signingKeys.list());
      expect(keys.filter((k) => k.status === "active")).toHaveLength(1);
      const kids = results.map((r) => r.json().kid as string);
      expect(new Set(kids).size).toBe(6);
      expect(kids).toContain(keys.find((k) => k.status === "active")!.kid);
    });
  });
}
