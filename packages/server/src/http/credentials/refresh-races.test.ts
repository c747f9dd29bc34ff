import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { testBackends } from "../../testing/backends";
import { createPaymentsApi } from "../../testing/credentials";
import { startTestServer, type TestServer } from "../../testing/server";

/**
 * A refresh of a credential index that read the database just before a write of this process committed,
 * and finishes just after it: the write is not in what it read. Before, the refresh replaced the index
 * wholesale, and a key or application revoked here worked here again until the next refresh (5 s).
 */
for (const backend of testBackends()) {
  describe(`credential indexes refreshed across a local write, on ${backend.name}`, () => {
    let server: TestServer;
    let applicationId: string;
    let clientSecret: string;

    beforeAll(async () => {
      server = await startTestServer(backend);
      await createPaymentsApi(server);
      expect((await server.call("POST", "/v1/tenants", { id: "acme" })).statusCode).toBe(201);
      const app = await server.call("POST", "/v1/applications", {
        tenantId: "acme",
        name: "app",
        api: "payments@1",
      });
      expect(app.statusCode, app.body).toBe(201);
      ({ id: applicationId, clientSecret } = app.json());
    });
    afterAll(async () => server?.close());

    /** Runs `write` while a refresh is held between reading `list` and applying what it read. */
    async function duringRefresh(
      list: "listAllApiKeys" | "listAllApplications",
      refresh: () => Promise<void>,
      write: () => Promise<unknown>,
    ) {
      const credentials = server.tessera.store.credentials;
      const read = (credentials[list] as () => Promise<unknown>).bind(credentials);
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const spy = vi.spyOn(credentials, list).mockImplementationOnce((async () => {
        const before = await read();
        await held;
        return before;
      }) as never);
      try {
        const refreshing = refresh();
        await write();
        release();
        await refreshing;
      } finally {
        spy.mockRestore();
      }
    }

    it("keeps an API key revoked here revoked", async () => {
      const created = await server.call("POST", `/v1/applications/${applicationId}/keys`, {});
      expect(created.statusCode, created.body).toBe(201);
      const { id, key } = created.json();
      const verify = async () => (await server.call("POST", "/v1/keys/verify", { key })).json().code;
      expect(await verify()).toBe("VALID");
      const { apiKeys } = server.tessera.services;
      await duringRefresh(
        "listAllApiKeys",
        () => apiKeys.refresh(),
        async () => {
          const r = await server.call("DELETE", `/v1/applications/${applicationId}/keys/${id}`);
          expect(r.statusCode, r.body).toBe(200);
        },
      );
      expect(await verify()).toBe("REVOKED");
    });

    it("keeps a client secret rotated out here refused, and an application revoked here revoked", async () => {
      const { applications } = server.tessera.services;
      const authenticate = (secret: string) => applications.authenticate(applicationId, secret);
      expect(authenticate(clientSecret).valid).toBe(true);
      let rotated = "";
      await duringRefresh(
        "listAllApplications",
        () => applications.refresh(),
        async () => {
          const r = await server.call("POST", `/v1/applications/${applicationId}/secret/rotate`, {
            gracePeriodSeconds: 0,
          });
          expect(r.statusCode, r.body).toBe(200);
          rotated = r.json().clientSecret;
        },
      );
      expect(authenticate(clientSecret)).toMatchObject({ valid: false, code: "BAD_SECRET" });
      expect(authenticate(rotated).valid).toBe(true);
      await duringRefresh(
        "listAllApplications",
        () => applications.refresh(),
        async () => {
          expect((await server.call("DELETE", `/v1/applications/${applicationId}`)).statusCode).toBe(200);
        },
      );
      expect(authenticate(rotated)).toMatchObject({ valid: false, code: "APPLICATION_REVOKED" });
    });
  });
}
