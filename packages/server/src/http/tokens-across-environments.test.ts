import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../testing/backends";
import { startTestServer, type TestServer } from "../testing/server";

for (const backend of testBackends()) {
  describe(`an admin token and another environment's tokens on ${backend.name}`, () => {
    let server: TestServer;
    let leaked: { id: string; token: string };
    let stageAdmin: string;

    beforeAll(async () => {
      server = await startTestServer(backend);
      expect((await server.call("POST", "/v1/environments", { key: "stage" })).statusCode).toBe(201);
      leaked = (await server.call("POST", "/v1/tokens", { name: "leaked", environment: "stage" })).json();
      stageAdmin = (
        await server.call("POST", "/v1/tokens", {
          name: "admin",
          rights: ["admin", "manage"],
          environment: "stage",
        })
      ).json().token;
    });
    afterAll(async () => server?.close());

    it("lists them with ?environment, and only there", async () => {
      expect((await server.call("GET", "/v1/features", undefined, leaked.token)).statusCode).toBe(200);
      const own = (await server.call("GET", "/v1/tokens")).json().items.map((t: { id: string }) => t.id);
      expect(own).not.toContain(leaked.id);
      const page = await server.call("GET", "/v1/tokens?environment=stage&limit=1");
      expect(page.statusCode, page.body).toBe(200);
      expect(page.json().items.map((t: { id: string }) => t.id)).toEqual([leaked.id]);
      // A cursor of one environment's list is not one of another's.
      const foreign = await server.call("GET", `/v1/tokens?cursor=${page.json().nextCursor}`);
      expect(foreign.statusCode).toBe(400);
      expect(foreign.json().code).toBe("INVALID_CURSOR");
    });

    it("revokes them with ?environment; without it, the token is not found in its own", async () => {
      // Before, an admin could make a token in another environment but not revoke it.
      expect((await server.call("DELETE", `/v1/tokens/${leaked.id}`)).statusCode).toBe(404);
      const revoked = await server.call("DELETE", `/v1/tokens/${leaked.id}?environment=stage`);
      expect(revoked.statusCode, revoked.body).toBe(200);
      expect(revoked.json().revokedAt).toEqual(expect.any(String));
      expect((await server.call("GET", "/v1/features", undefined, leaked.token)).statusCode).toBe(401);
      // Recorded in the token's environment, as its creation was.
      const changes = await server.call(
        "GET",
        `/v1/changes?kind=token&resourceId=${leaked.id}`,
        undefined,
        stageAdmin,
      );
      expect(changes.json().items.map((c: { action: string }) => c.action)).toEqual(["create", "update"]);
    });

    it("answers an unknown environment with 404 and an unknown parameter with 400", async () => {
      expect((await server.call("GET", "/v1/tokens?environment=nowhere")).statusCode).toBe(404);
      expect((await server.call("DELETE", `/v1/tokens/${leaked.id}?environment=nowhere`)).statusCode).toBe(
        404,
      );
      expect((await server.call("DELETE", `/v1/tokens/${leaked.id}?env=stage`)).statusCode).toBe(400);
    });

    it("stays an admin right: a management token cannot reach another environment's tokens", async () => {
      const manager = (await server.call("POST", "/v1/tokens", { name: "m" })).json().token;
      expect((await server.call("GET", "/v1/tokens?environment=stage", undefined, manager)).statusCode).toBe(
        403,
      );
      const other = (await server.call("POST", "/v1/tokens", { name: "x", environment: "stage" })).json();
      const refused = await server.call(
        "DELETE",
        `/v1/tokens/${other.id}?environment=stage`,
        undefined,
        manager,
      );
      expect(refused.statusCode).toBe(403);
      expect((await server.call("GET", "/v1/features", undefined, other.token)).statusCode).toBe(200);
    });
  });
}
