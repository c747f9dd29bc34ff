import { describe, expect, it } from "vitest";
import { pick, prng } from "../../../test/random";
import { evaluate } from "../evaluate";
import { Snapshot } from "../snapshot";
import type { EnvironmentState } from "../types";
import { ambiguousPath } from "./ambiguous";
import { matchRoute } from "./match";
import { compileRouteTable } from "./table";

/** The rule as the gateway first wrote it (less its encoded slashes), plainly: split, decode the dots. */
function oracle(url: string): boolean {
  const end = url.search(/[?#]/);
  const path = (end === -1 ? url : url.slice(0, end)).toLowerCase();
  if (path.includes("\\")) return true;
  try {
    decodeURIComponent(path);
  } catch {
    return true;
  }
  return path.split("/").some((s) => {
    const decoded = s.replaceAll("%2e", ".");
    return decoded === "." || decoded === "..";
  });
}

describe("ambiguousPath", () => {
  it("finds dot segments, backslashes and undecodable escapes in the path, not in its query", () => {
    for (const path of [
      "/a/..",
      "/a/../b",
      "/a/./b",
      "..",
      "/a/%2e%2e",
      "/a/%2E%2e/",
      "/a/.%2e",
      "/a/%2e",
      "/a\\b",
      "/a/%zz",
      "/a/%E0%A4",
    ])
      expect(ambiguousPath(path), path).toBe(true);
    for (const path of [
      "/",
      "",
      "/a/b",
      "/a/...",
      "/a/.hidden",
      "/a/b..c",
      "/a/%2e%2e%2e",
      "/a/%2ex",
      "/a/100%25",
      "/a?next=../x",
      "/a#..",
      "/a?q=%zz",
      "/a%2fb",
      "/a%5Cb",
    ])
      expect(ambiguousPath(path), path).toBe(false);
  });

  it("agrees with the plain rule over random paths", () => {
    const rng = prng(7);
    const pieces = [
      ".",
      "..",
      "%2e",
      "%2E",
      "a",
      "b.c",
      "%2f",
      "%5c",
      "\\",
      "%",
      "%zz",
      "%20",
      "/",
      "/",
      "?",
      "#",
      "é",
    ];
    for (let i = 0; i < 20_000; i++) {
      let path = rng() < 0.8 ? "/" : "";
      const n = Math.floor(rng() * 7);
      for (let k = 0; k < n; k++) path += pick(rng, pieces);
      expect(ambiguousPath(path), path).toBe(oracle(path));
    }
  });
});

describe("a route check on a path a server could read as another", () => {
  const table = compileRouteTable([
    { method: "DELETE", path: "/users/{id}/aliases/{alias}", value: "alias" },
    { method: "DELETE", path: "/users/{id}", value: "user" },
    { method: "GET", path: "/files/*", value: "files" },
  ]);

  it("matches no route, whatever route it would otherwise take", () => {
    // Before, `/users/1/aliases/..` matched the alias rule with alias "..": to a normalising server, the user.
    for (const path of [
      "/users/1/aliases/..",
      "/users/1/aliases/%2e%2e",
      "/users/1/aliases/.%2E",
      "/files/a/../../users/1",
    ])
      expect(matchRoute(table, path.startsWith("/files") ? "GET" : "DELETE", path), path).toBeUndefined();
    expect(matchRoute(table, "DELETE", "/users/1/aliases/a..b")?.value).toBe("alias");
    expect(matchRoute(table, "GET", "/files/.config/x")?.value).toBe("files");
  });

  it("is denied with ROUTE_NOT_FOUND, saying why", () => {
    const state: EnvironmentState = {
      revision: 1,
      features: [],
      permissions: [],
      roles: [],
      plans: [{ key: "p", name: "p", kind: "base", features: {} }],
      flags: [],
      routes: [{ id: "r1", method: "DELETE", path: "/users/{id}/aliases/{alias}", public: true }],
      tenants: [{ id: "acme" }],
      users: [],
      memberships: [],
      subscriptions: [
        { id: "s", tenantId: "acme", planKey: "p", status: "active", startAt: "2026-01-01T00:00:00Z" },
      ],
      grants: [],
    };
    const snapshot = Snapshot.compile(state);
    const ask = (path: string) =>
      evaluate(snapshot, { subject: { tenantId: "acme" }, route: { method: "DELETE", path } });
    expect(ask("/users/1/aliases/a").entitled).toBe(true);
    const denied = ask("/users/1/aliases/%2e%2e");
    expect(denied).toMatchObject({ entitled: false, reason: "ROUTE_NOT_FOUND" });
    expect(denied.message).toMatch(/not in normal form/);
  });
});
