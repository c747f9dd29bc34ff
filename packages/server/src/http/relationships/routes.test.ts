import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTessera } from "../../server";
import { testBackends } from "../../testing/backends";
import { startTestServer, type TestServer } from "../../testing/server";

const DSL = `model
  schema 1.1

type user

type group
  relations
    define member: [user]

type folder
  relations
    define owner: [user]
    define viewer: [user, group#member] or owner

type document
  relations
    define parent: [folder]
    define writer: [user]
    define reader: [user, user with in_office, user:*] or writer or viewer from parent

condition in_office(ip: ipaddress) {
  ip.in_cidr("10.0.0.0/8")
}
`;

for (const backend of testBackends()) {
  describe(`relationships HTTP on ${backend.name}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer(backend);
    });
    afterAll(async () => s.close());

    it("answers the seed's endpoints with the seed's bodies", async () => {
      const rel = await s.call("POST", "/resources/entity-types/v1/document/relations", {
        relations: [
          { key: "reader", subjectEntityKeys: ["user"] },
          { key: "writer", subjectEntityKeys: ["user"] },
          { key: "parent", subjectEntityKeys: ["folder"] },
        ],
      });
      expect(rel.statusCode).toBe(201);
      expect(rel.json()).toEqual([
        {
          vendorId: s.environmentId,
          targetEntityTypeKey: "document",
          key: "reader",
          subjectEntityTypeKeys: ["user"],
        },
        {
          vendorId: s.environmentId,
          targetEntityTypeKey: "document",
          key: "writer",
          subjectEntityTypeKeys: ["user"],
        },
        {
          vendorId: s.environmentId,
          targetEntityTypeKey: "document",
          key: "parent",
          subjectEntityTypeKeys: ["folder"],
        },
      ]);
      await s.call("POST", "/resources/entity-types/v1/folder/relations", {
        relations: [{ key: "viewer", subjectEntityKeys: ["user"] }],
      });
      const folderRead = await s.call("PATCH", "/resources/entity-types/v1/folder/actions/read", {
        key: "read",
        relationKeys: ["viewer"],
      });
      expect(folderRead.statusCode).toBe(200);
      const body = {
        key: "read",
        relationKeys: ["reader", "writer", { fromRelation: "parent", toAction: "read" }],
      };
      const action = await s.call("PATCH", "/resources/entity-types/v1/document/actions/read", body);
      expect(action.statusCode).toBe(200);
      expect(action.json()).toEqual({ vendorId: s.environmentId, entityTypeKey: "document", ...body });

      const model = await s.call("GET", "/v1/relationships/model");
      expect(model.json().dsl).toContain("define read: reader or writer or read from parent");

      // The generated model answers: a viewer of the folder reads the document through the arrow.
      const w = await s.call("POST", "/v1/relationships/tuples/write", {
        writes: [
          { object: "document:d1", relation: "parent", user: "folder:f1" },
          { object: "folder:f1", relation: "viewer", user: "user:carol" },
        ],
      });
      expect(w.json()).toMatchObject({ written: 2, deleted: 0 });
      const check = await s.call("POST", "/v1/relationships/check", {
        object: "document:d1",
        relation: "read",
        user: "user:carol",
        explain: true,
      });
      expect(check.json()).toMatchObject({ allowed: true, reason: "ENTITLED" });
      expect(check.json().path.length).toBeGreaterThan(0);

      const del = await s.call("DELETE", "/resources/entity-types/v1/document/actions/read");
      expect(del.statusCode).toBe(204);
      expect((await s.call("DELETE", "/resources/entity-types/v1/document/actions/read")).statusCode).toBe(
        404,
      );
      const types = await s.call("GET", "/v1/relationships/entity-types/document");
      expect(types.json().actions).toEqual([]);
    });

    it("creates, lists, gets and deletes entity types, relations and actions", async () => {
      const created = await s.call("POST", "/v1/relationships/entity-types", {
        key: "project",
        relations: [{ key: "member", subjectEntityTypeKeys: ["user"] }],
      });
      expect(created.statusCode).toBe(201);
      expect((await s.call("POST", "/v1/relationships/entity-types", { key: "project" })).statusCode).toBe(
        409,
      );
      expect(
        (await s.call("GET", "/v1/relationships/entity-types"))
          .json()
          .items.map((t: { key: string }) => t.key),
      ).toContain("project");
      const r = await s.call("POST", "/v1/relationships/entity-types/project/relations", {
        key: "admin",
        subjectEntityTypeKeys: ["user"],
      });
      expect(r.statusCode).toBe(201);
      expect((await s.call("GET", "/v1/relationships/entity-types/project/relations/admin")).json()).toEqual({
        key: "admin",
        subjectEntityTypeKeys: ["user"],
      });
      const a = await s.call("PUT", "/v1/relationships/entity-types/project/actions/edit", {
        relationKeys: ["admin"],
      });
      expect(a.statusCode).toBe(200);
      expect(
        (await s.call("GET", "/v1/relationships/entity-types/project/actions")).json().items,
      ).toHaveLength(1);
      // Removing a relation an action still names would break the model: refused, nothing changes.
      const broken = await s.call("DELETE", "/v1/relationships/entity-types/project/relations/admin");
      expect(broken.statusCode).toBe(400);
      expect(broken.json().code).toBe("INVALID_MODEL");
      expect((await s.call("DELETE", "/v1/relationships/entity-types/project/actions/edit")).statusCode).toBe(
        204,
      );
      expect(
        (await s.call("DELETE", "/v1/relationships/entity-types/project/relations/admin")).statusCode,
      ).toBe(204);
      expect((await s.call("DELETE", "/v1/relationships/entity-types/project")).statusCode).toBe(204);
      expect((await s.call("GET", "/v1/relationships/entity-types/project")).statusCode).toBe(404);
    });

    it("takes the model as DSL and returns both forms; refuses an invalid one", async () => {
      const bad = await s.call("PUT", "/v1/relationships/model", {
        dsl: "model\n  schema 1.1\ntype doc\n  relations\n    define r: [nobody]\n",
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().code).toBe("INVALID_MODEL");
      const put = await s.call("PUT", "/v1/relationships/model", { dsl: DSL });
      expect(put.statusCode).toBe(200);
      expect(put.json().model.schema_version).toBe("1.1");
      expect(put.json().dsl).toBe(DSL);
      // The JSON form round-trips through PUT too.
      const again = await s.call("PUT", "/v1/relationships/model", { model: put.json().model });
      expect(again.json().version).toBe(put.json().version + 1);
      expect(again.json().dsl).toContain("define reader: [user, user with in_office, user:*]");
      // Entity-type edits do not overwrite a model written as DSL.
      expect((await s.call("POST", "/v1/relationships/entity-types", { key: "x" })).statusCode).toBe(422);
    });

    it("refuses a tuple outside the type restrictions, and the whole batch with it", async () => {
      const r = await s.call("POST", "/v1/relationships/tuples/write", {
        writes: [
          { object: "document:a", relation: "writer", user: "user:ok" },
          { object: "document:a", relation: "writer", user: "group:eng#member" },
        ],
      });
      expect(r.statusCode).toBe(400);
      expect(r.json().code).toBe("INVALID_TUPLE");
      expect(r.json().errors[0].pointer).toBe("/writes/1/user");
      const list = await s.call("GET", "/v1/relationships/tuples?object=document:a");
      expect(list.json().items).toEqual([]);
    });

    it("refuses ids too long to store, and times past the year 9999, with a 400 rather than a 500", async () => {
      // 500 four-byte characters are within the schema's 512 characters, and 2,000 bytes: with another such
      // user, more than PostgreSQL's primary key index holds in a row.
      const long = "😀".repeat(500);
      const tooLong = await s.call("POST", "/v1/relationships/tuples/write", {
        writes: [{ object: `document:${long}`, relation: "reader", user: `user:${long}` }],
      });
      expect(tooLong.statusCode, tooLong.body).toBe(400);
      expect(tooLong.json().errors.map((e: { pointer: string }) => e.pointer)).toEqual([
        "/writes/0/object",
        "/writes/0/user",
      ]);
      const late = await s.call("POST", "/v1/relationships/tuples/write", {
        writes: [
          {
            object: "document:late",
            relation: "reader",
            user: "user:anne",
            expiresAt: "9999-12-31T23:59:59-14:00",
          },
        ],
      });
      expect(late.statusCode, late.body).toBe(400);
      const fits = "😀".repeat(250);
      const stored = await s.call("POST", "/v1/relationships/tuples/write", {
        writes: [{ object: `document:${fits}`, relation: "reader", user: `user:${fits}` }],
      });
      expect(stored.statusCode, stored.body).toBe(200);
      const list = await s.call(
        "GET",
        `/v1/relationships/tuples?object=${encodeURIComponent(`document:${fits}`)}`,
      );
      expect(list.json().items).toHaveLength(1);
    });

    it("writes idempotently, deletes, and lists in pages", async () => {
      const writes = [
        { object: "document:b", relation: "writer", user: "user:anne" },
        { object: "folder:f", relation: "owner", user: "user:bob" },
        { object: "document:b", relation: "parent", user: "folder:f" },
        { object: "group:eng", relation: "member", user: "user:dan" },
        { object: "folder:f", relation: "viewer", user: "group:eng#member" },
      ];
      const first = await s.call("POST", "/v1/relationships/tuples/write", { writes });
      expect(first.json()).toMatchObject({ written: 5, deleted: 0 });
      const again = await s.call("POST", "/v1/relationships/tuples/write", { writes });
      expect(again.json()).toEqual({ revision: first.json().revision, written: 0, deleted: 0 });
      const twice = await s.call("POST", "/v1/relationships/tuples/write", {
        writes: [writes[0], writes[0]],
      });
      expect(twice.json().code).toBe("INVALID_TUPLE");

      const page1 = await s.call("GET", "/v1/relationships/tuples?limit=2");
      expect(page1.json().items).toHaveLength(2);
      const page2 = await s.call(
        "GET",
        `/v1/relationships/tuples?limit=100&cursor=${page1.json().nextCursor}`,
      );
      expect(page2.json().nextCursor).toBeUndefined();
      expect((await s.call("GET", "/v1/relationships/tuples?cursor=nope")).json().code).toBe(
        "INVALID_CURSOR",
      );

      const checkDan = { object: "document:b", relation: "reader", user: "user:dan" };
      expect((await s.call("POST", "/v1/relationships/check", checkDan)).json().allowed).toBe(true);
      const del = await s.call("POST", "/v1/relationships/tuples/write", {
        deletes: [{ object: "group:eng", relation: "member", user: "user:dan" }],
      });
      expect(del.json()).toMatchObject({ written: 0, deleted: 1, revision: first.json().revision + 1 });
      const denied = await s.call("POST", "/v1/relationships/check", { ...checkDan, explain: true });
      expect(denied.json()).toMatchObject({ allowed: false, reason: "RELATION_MISSING" });
      expect(denied.json().notes.length).toBeGreaterThan(0);
    });

    it("honours expiry, conditions, context and contextual tuples", async () => {
      const past = new Date(Date.now() - 3_600_000).toISOString();
      const future = new Date(Date.now() + 3_600_000).toISOString();
      await s.call("POST", "/v1/relationships/tuples/write", {
        writes: [
          { object: "document:e", relation: "writer", user: "user:old", expiresAt: past },
          { object: "document:e", relation: "writer", user: "user:new", expiresAt: future },
          { object: "document:e", relation: "reader", user: "user:ip", condition: { name: "in_office" } },
        ],
      });
      const ask = async (body: object) => (await s.call("POST", "/v1/relationships/check", body)).json();
      expect((await ask({ object: "document:e", relation: "writer", user: "user:old" })).allowed).toBe(false);
      expect((await ask({ object: "document:e", relation: "writer", user: "user:new" })).allowed).toBe(true);
      const ip = { object: "document:e", relation: "reader", user: "user:ip" };
      expect((await ask({ ...ip, context: { ip: "10.1.2.3" } })).allowed).toBe(true);
      expect((await ask({ ...ip, context: { ip: "192.168.0.1" } })).allowed).toBe(false);
      const ctx = await ask({
        object: "document:e",
        relation: "reader",
        user: "user:guest",
        contextualTuples: [{ object: "document:e", relation: "writer", user: "user:guest" }],
      });
      expect(ctx.allowed).toBe(true);
    });

    it("answers batch check, list-objects with pages, list-users and expand", async () => {
      const batch = await s.call("POST", "/v1/relationships/check/batch", {
        checks: [
          { object: "document:b", relation: "reader", user: "user:bob" },
          { object: "document:b", relation: "reader", user: "user:zed" },
          { object: "nothing:1", relation: "reader", user: "user:bob" },
        ],
      });
      const results = batch.json().results;
      expect(results.map((r: { allowed: boolean }) => r.allowed)).toEqual([true, false, false]);
      expect(results[2].error.code).toBe("UNKNOWN_TYPE");

      await s.call("POST", "/v1/relationships/tuples/write", {
        writes: ["p1", "p2", "p3"].map((id) => ({
          object: `document:${id}`,
          relation: "writer",
          user: "user:lister",
        })),
      });
      const one = await s.call("POST", "/v1/relationships/list-objects", {
        type: "document",
        relation: "reader",
        user: "user:lister",
        pageSize: 2,
      });
      expect(one.json().objects).toEqual(["document:p1", "document:p2"]);
      const two = await s.call("POST", "/v1/relationships/list-objects", {
        type: "document",
        relation: "reader",
        user: "user:lister",
        pageSize: 2,
        cursor: one.json().cursor,
      });
      expect(two.json()).toMatchObject({ objects: ["document:p3"], cursor: null });

      const users = await s.call("POST", "/v1/relationships/list-users", {
        object: "document:b",
        relation: "reader",
        userFilters: [{ type: "user" }],
      });
      expect(users.json().users).toEqual(expect.arrayContaining(["user:anne", "user:bob"]));
      const tree = await s.call("POST", "/v1/relationships/expand", {
        object: "document:b",
        relation: "writer",
      });
      expect(tree.json().tree.leaf.users).toEqual(["user:anne"]);
      const bad = await s.call("POST", "/v1/relationships/check", {
        object: "document:b",
        relation: "nope",
        user: "user:a",
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().code).toBe("UNKNOWN_RELATION");
    });

    it("answers at least as fresh as a revision, and 409 for one not yet written", async () => {
      const w = await s.call("POST", "/v1/relationships/tuples/write", {
        writes: [{ object: "document:f", relation: "writer", user: "user:fresh" }],
      });
      const ok = await s.call("POST", "/v1/relationships/check", {
        object: "document:f",
        relation: "writer",
        user: "user:fresh",
        atLeastRevision: w.json().revision,
      });
      expect(ok.json()).toMatchObject({ allowed: true, revision: w.json().revision });
      const ahead = await s.call("POST", "/v1/relationships/check", {
        object: "document:f",
        relation: "writer",
        user: "user:fresh",
        atLeastRevision: w.json().revision + 100,
      });
      expect(ahead.statusCode).toBe(409);
    });

    it("answers entity checks through POST /v1/check", async () => {
      await s.call("PUT", "/v1/relationships/model", { dsl: DSL });
      await s.call("POST", "/v1/relationships/tuples/write", {
        writes: [{ object: "document:b", relation: "writer", user: "user:anne" }],
      });
      await s.call("POST", "/v1/tenants", { id: "acme", name: "Acme" });
      await s.call("POST", "/v1/users", { id: "anne" });
      await s.call("PUT", "/v1/tenants/acme/members/anne", { roles: [] });
      const entity = { type: "document", id: "b", action: "writer" };
      const yes = await s.call("POST", "/v1/check", {
        subject: { tenantId: "acme", userId: "anne" },
        entity,
      });
      expect(yes.statusCode, yes.body).toBe(200);
      expect(yes.json()).toMatchObject({ entitled: true });
      await s.call("POST", "/v1/users", { id: "zed" });
      await s.call("PUT", "/v1/tenants/acme/members/zed", { roles: [] });
      const no = await s.call("POST", "/v1/check", { subject: { tenantId: "acme", userId: "zed" }, entity });
      expect(no.json()).toMatchObject({ entitled: false, reason: "RELATION_MISSING" });
    });
  });
}

describe("relationships after a restart", () => {
  it("answers from tuples reloaded from a PGlite data folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tessera-rel-"));
    try {
      const first = await createTessera({ databaseUrl: undefined, dataDir: dir, bodyLimit: 65_536 });
      const token = first.bootstrap!.token;
      const call = (t: typeof first, method: string, url: string, body?: unknown) =>
        t.app.inject({
          method: method as "GET",
          url,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        });
      await call(first, "PUT", "/v1/relationships/model", { dsl: DSL });
      await call(first, "POST", "/v1/relationships/tuples/write", {
        writes: [{ object: "document:r", relation: "writer", user: "user:kept" }],
      });
      await first.close();

      const second = await createTessera({ databaseUrl: undefined, dataDir: dir, bodyLimit: 65_536 });
      try {
        const r = await call(second, "POST", "/v1/relationships/check", {
          object: "document:r",
          relation: "reader",
          user: "user:kept",
        });
        expect(r.json()).toMatchObject({ allowed: true });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Two cold PGlite starts on disk: slow on a small machine, and not what is measured here.
  }, 120_000);
});
