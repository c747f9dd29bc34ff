import { describe, expect, it } from "vitest";
import { compileRouteTable, matchRoute, type RouteDefinition, RouteTableError } from "./index";

function table(...routes: [method: string, path: string][]) {
  return compileRouteTable(routes.map(([method, path]) => ({ method, path, value: `${method} ${path}` })));
}

function hit(routes: ReturnType<typeof table>, method: string, path: string) {
  return matchRoute(routes, method, path)?.value;
}

describe("matchRoute", () => {
  it("matches static and parameter segments, with decoded params", () => {
    const routes = table(
      ["GET", "/invoices"],
      ["GET", "/invoices/{id}"],
      ["GET", "/invoices/:id/lines/:line"],
    );
    expect(matchRoute(routes, "GET", "/invoices")).toEqual({
      value: "GET /invoices",
      params: {},
      template: "/invoices",
      method: "GET",
    });
    expect(matchRoute(routes, "GET", "/invoices/in%20v%2F1")?.params).toEqual({ id: "in v/1" });
    expect(matchRoute(routes, "GET", "/invoices/7/lines/2")?.params).toEqual({ id: "7", line: "2" });
    expect(hit(routes, "GET", "/invoices/7/lines")).toBeUndefined();
    expect(hit(routes, "GET", "/")).toBeUndefined();
  });

  it("matches a HEAD as its GET, unless a route names HEAD itself", () => {
    // Before, a rule for GET /reports/{id} left HEAD /reports/7 unmatched (ROUTE_NOT_FOUND), though Express
    // and Fastify answer HEAD with the GET's handler.
    const routes = table(
      ["GET", "/reports/{id}"],
      ["HEAD", "/files/{id}"],
      ["GET", "/files/{id}"],
      ["POST", "/jobs"],
    );
    expect(hit(routes, "HEAD", "/reports/7")).toBe("GET /reports/{id}");
    expect(hit(routes, "head", "/reports/7")).toBe("GET /reports/{id}");
    expect(hit(routes, "HEAD", "/files/7")).toBe("HEAD /files/{id}");
    expect(hit(routes, "HEAD", "/jobs")).toBeUndefined();
  });

  it("matches a HEAD as its GET at the GET's own specificity, before a less specific route for any method", () => {
    // The framework serves HEAD /admin/stats with GET /admin/stats' handler. A HEAD that first looked for a
    // HEAD or ANY route anywhere found the public catch-all and let it through past the GET's permission.
    const routes = table(
      ["GET", "/admin/stats"],
      ["ANY", "/admin/*"],
      ["*", "/public/{id}"],
      ["GET", "/{x}/1"],
    );
    expect(hit(routes, "HEAD", "/admin/stats")).toBe("GET /admin/stats");
    expect(hit(routes, "HEAD", "/admin/other")).toBe("ANY /admin/*");
    // At one template, the GET answers for its HEAD before a route for any method does.
    const same = table(["GET", "/reports"], ["ANY", "/reports"], ["HEAD", "/files"], ["GET", "/files"]);
    expect(hit(same, "HEAD", "/reports")).toBe("GET /reports");
    expect(hit(same, "HEAD", "/files")).toBe("HEAD /files");
    // A more specific route for any method still wins over a less specific GET, as it does for a GET.
    expect(hit(routes, "HEAD", "/public/1")).toBe("* /public/{id}");
    expect(hit(routes, "GET", "/public/1")).toBe("* /public/{id}");
  });

  it("matches the root", () => {
    const routes = table(["GET", "/"]);
    expect(hit(routes, "GET", "/")).toBe("GET /");
    expect(hit(routes, "GET", "")).toBe("GET /");
    expect(hit(routes, "GET", "/?q=1")).toBe("GET /");
  });

  it("treats the method case-insensitively, and * or ANY as any method", () => {
    const routes = table(["get", "/a"], ["*", "/b"], ["ANY", "/c"]);
    expect(hit(routes, "GET", "/a")).toBe("get /a");
    expect(hit(routes, "Get", "/a")).toBe("get /a");
    expect(hit(routes, "POST", "/a")).toBeUndefined();
    expect(hit(routes, "DELETE", "/b")).toBe("* /b");
    expect(hit(routes, "patch", "/c")).toBe("ANY /c");
    expect(matchRoute(routes, "get", "/a")?.method).toBe("GET");
  });

  it("ignores the query string and fragment and tolerates one trailing slash", () => {
    const routes = table(["GET", "/users/{id}"]);
    expect(hit(routes, "GET", "/users/1?expand=all#top")).toBe("GET /users/{id}");
    expect(hit(routes, "GET", "/users/1/")).toBe("GET /users/{id}");
    expect(hit(routes, "GET", "/users/1#x/y")).toBe("GET /users/{id}");
    expect(hit(routes, "GET", "/users//")).toBeUndefined();
    expect(hit(routes, "GET", "/users/1//")).toBeUndefined();
  });

  it("decodes static segments too, so an encoded path cannot slip past a static route", () => {
    const routes = table(["GET", "/users/me"], ["GET", "/users/{id}"]);
    expect(hit(routes, "GET", "/users/%6De")).toBe("GET /users/me");
    expect(hit(routes, "GET", "/users/%E0%A4%A")).toBeUndefined();
  });

  it("matches templates that mix literals and parameters", () => {
    const routes = table(
      ["GET", "/files/{id}.json"],
      ["GET", "/files/{id}"],
      ["POST", "/v1/{name}:publish"],
      ["GET", "/r/v{major}.{minor}"],
    );
    expect(matchRoute(routes, "GET", "/files/a.b.json")).toMatchObject({
      value: "GET /files/{id}.json",
      params: { id: "a.b" },
    });
    expect(matchRoute(routes, "GET", "/files/a.xml")?.params).toEqual({ id: "a.xml" });
    expect(matchRoute(routes, "GET", "/files/.json")?.template).toBe("/files/{id}");
    expect(matchRoute(routes, "POST", "/v1/topic:publish")?.params).toEqual({ name: "topic" });
    expect(matchRoute(routes, "GET", "/r/v2.13")?.params).toEqual({ major: "2", minor: "13" });
  });

  it("catches the rest with {path+} (one or more segments) and * (zero or more)", () => {
    const routes = table(["GET", "/static/{path+}"], ["GET", "/assets/*"], ["GET", "/static/index.html"]);
    expect(matchRoute(routes, "GET", "/static/css/a%20b.css")?.params).toEqual({ path: "css/a b.css" });
    expect(hit(routes, "GET", "/static/index.html")).toBe("GET /static/index.html");
    expect(hit(routes, "GET", "/static")).toBeUndefined();
    expect(matchRoute(routes, "GET", "/assets")?.params).toEqual({ "*": "" });
    expect(matchRoute(routes, "GET", "/assets/x/y")?.params).toEqual({ "*": "x/y" });
  });

  it("refuses malformed templates", () => {
    const invalid = (path: string) => {
      try {
        compileRouteTable([{ method: "GET", path, value: 1 }]);
      } catch (error) {
        return error instanceof RouteTableError ? error.code : error;
      }
      return "compiled";
    };
    expect(invalid("/a/{id")).toBe("INVALID_ROUTE");
    expect(invalid("/a/{a}{b}")).toBe("INVALID_ROUTE");
    expect(invalid("/a/{rest+}/b")).toBe("INVALID_ROUTE");
    expect(invalid("/a/*/b")).toBe("INVALID_ROUTE");
    expect(invalid("/a/{id}/b/{id}")).toBe("INVALID_ROUTE");
    expect(invalid("/a//b")).toBe("INVALID_ROUTE");
    expect(invalid("/a?b=1")).toBe("INVALID_ROUTE");
    expect(invalid("/a/{id}")).toBe("compiled");
  });
});

describe("precedence", () => {
  it("prefers a static segment over a parameter", () => {
    const routes = table(["GET", "/users/{id}"], ["GET", "/users/me"]);
    expect(hit(routes, "GET", "/users/me")).toBe("GET /users/me");
    expect(hit(routes, "GET", "/users/42")).toBe("GET /users/{id}");
  });

  it("prefers the longer static prefix, backtracking when the static branch dead-ends", () => {
    const routes = table(
      ["GET", "/orgs/{org}/members/{id}"],
      ["GET", "/orgs/acme/members/{id}"],
      ["GET", "/orgs/acme/{section}"],
      ["GET", "/orgs/{org}/settings"],
    );
    expect(hit(routes, "GET", "/orgs/acme/members/1")).toBe("GET /orgs/acme/members/{id}");
    expect(hit(routes, "GET", "/orgs/other/members/1")).toBe("GET /orgs/{org}/members/{id}");
    expect(hit(routes, "GET", "/orgs/acme/billing")).toBe("GET /orgs/acme/{section}");
    expect(hit(routes, "GET", "/orgs/other/settings")).toBe("GET /orgs/{org}/settings");
    expect(matchRoute(routes, "GET", "/orgs/acme/settings")?.params).toEqual({ section: "settings" });
  });

  it("orders static, then mixed (more literal first), then parameter, then catch-all", () => {
    const routes = table(
      ["GET", "/f/{rest+}"],
      ["GET", "/f/{id}"],
      ["GET", "/f/{id}.json"],
      ["GET", "/f/{id}.tar.gz"],
      ["GET", "/f/latest.json"],
    );
    expect(hit(routes, "GET", "/f/latest.json")).toBe("GET /f/latest.json");
    expect(hit(routes, "GET", "/f/x.tar.gz")).toBe("GET /f/{id}.tar.gz");
    expect(hit(routes, "GET", "/f/x.json")).toBe("GET /f/{id}.json");
    expect(hit(routes, "GET", "/f/x")).toBe("GET /f/{id}");
    expect(hit(routes, "GET", "/f/x/y")).toBe("GET /f/{rest+}");
  });

  it("prefers a specific method over ANY on the same template", () => {
    const routes = table(["ANY", "/items/{id}"], ["DELETE", "/items/{id}"]);
    expect(hit(routes, "DELETE", "/items/1")).toBe("DELETE /items/{id}");
    expect(hit(routes, "GET", "/items/1")).toBe("ANY /items/{id}");
  });

  it("decides by path first, then by method, and falls back when the method is missing", () => {
    const routes = table(["ANY", "/users/me"], ["GET", "/users/{id}"], ["DELETE", "/users/{id}"]);
    expect(hit(routes, "GET", "/users/me")).toBe("ANY /users/me");
    const strict = table(["GET", "/users/me"], ["DELETE", "/users/{id}"]);
    expect(hit(strict, "DELETE", "/users/me")).toBe("DELETE /users/{id}");
    expect(hit(strict, "POST", "/users/me")).toBeUndefined();
  });

  it("does not depend on the order routes are given in", () => {
    const defs: [string, string][] = [
      ["GET", "/a/{x}.json"],
      ["GET", "/a/v{x}.json"],
      ["GET", "/a/{x}"],
      ["GET", "/a/b"],
    ];
    const forward = table(...defs);
    const backward = table(...[...defs].reverse());
    for (const path of ["/a/b", "/a/v1.json", "/a/1.json", "/a/z"]) {
      expect(hit(forward, "GET", path)).toBe(hit(backward, "GET", path));
    }
    expect(hit(forward, "GET", "/a/v1.json")).toBe("GET /a/v{x}.json");
  });
});

describe("compileRouteTable", () => {
  it("throws DUPLICATE_ROUTE for one method on one template, whatever the parameter names", () => {
    const duplicate = (routes: RouteDefinition<number>[]) => {
      try {
        compileRouteTable(routes);
        return undefined;
      } catch (error) {
        return error instanceof RouteTableError ? error.code : error;
      }
    };
    expect(duplicate([r("GET", "/a/{id}"), r("get", "/a/:key/")])).toBe("DUPLICATE_ROUTE");
    expect(duplicate([r("*", "/a"), r("ANY", "/a")])).toBe("DUPLICATE_ROUTE");
    expect(duplicate([r("GET", "/a/{id}.json"), r("GET", "/a/{name}.json")])).toBe("DUPLICATE_ROUTE");
    expect(duplicate([r("GET", "/a/{id}"), r("POST", "/a/{id}"), r("ANY", "/a/{id}")])).toBeUndefined();
    expect(duplicate([r("GET", "/a/{id}"), r("GET", "/a/{id}.json")])).toBeUndefined();
  });

  it("matches each of 300 routes to itself", () => {
    const defs = manyRoutes(300);
    const routes = compileRouteTable(defs);
    expect(routes.size).toBe(300);
    for (const def of defs) {
      const concrete = def.path.replace(/\{[^}]+\}/g, "x1");
      expect(matchRoute(routes, def.method, concrete)?.value).toBe(def.value);
    }
  });
});

function r(method: string, path: string): RouteDefinition<number> {
  return { method, path, value: 0 };
}

/** A realistic table: resources with collections, items, nested items and actions. */
function manyRoutes(count: number): RouteDefinition<string>[] {
  const defs: RouteDefinition<string>[] = [];
  for (let i = 0; defs.length < count; i++) {
    const base = `/v1/resource${i}`;
    const shapes: [string, string][] = [
      ["GET", base],
      ["POST", base],
      ["GET", `${base}/{id}`],
      ["DELETE", `${base}/{id}`],
      ["GET", `${base}/{id}/children/{childId}.json`],
      ["POST", `${base}/{id}:archive`],
    ];
    for (const [method, path] of shapes) {
      if (defs.length < count) defs.push({ method, path, value: `${method} ${path}` });
    }
  }
  return defs;
}
