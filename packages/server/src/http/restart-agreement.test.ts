import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chance, pick, prng, type Rng } from "../../../sdk/test/random";
import { createTessera, type Tessera } from "../server";
import { dropSchema } from "../storage/database";
import { KyselyStore } from "../storage/kysely-store";
import type { Store } from "../storage/store";

/**
 * A server applies each write to its snapshot as it commits it; a server started later loads the same state
 * from the database. The two must answer alike, or a restart (or a second node) changes decisions. And a
 * refused write must leave nothing behind, in the database or in the snapshot, or the two drift apart.
 *
 * So: random management writes over HTTP, many of them refused (unknown references, duplicates, values of
 * the wrong type, malformed bodies); none may be a 500. Then a fixed set of questions, at fixed times, asked
 * of that server and of a fresh one on the same database.
 */

const some = <T>(rng: Rng, list: readonly T[], p = 0.4) => list.filter(() => chance(rng, p));

const T0 = Date.parse("2026-06-01T00:00:00Z");
const DAY = 86_400_000;
const near = (rng: Rng) => new Date(T0 + (Math.floor(rng() * 9) - 4) * DAY).toISOString();

const FEATURES = ["sso", "seats", "theme", "export"];
const PERMISSIONS = ["doc.read", "doc.write", "admin"];
const ROLES = ["viewer", "editor", "owner"];
const PLANS = ["free", "pro", "enterprise", "boost"];
const FLAGS = ["gate", "beta"];
const TENANTS = ["t1", "t2", "t3"];
const USERS = ["u1", "u2", "u3"];
const SUBSCRIPTIONS = ["s1", "s2", "s3", "s4", "s5", "s6"];
const GRANTS = ["g1", "g2", "g3", "g4"];
const ROUTES = ["rt1", "rt2", "rt3"];
const STATUSES = ["active", "active", "trialing", "past_due", "canceled", "expired"];

/** A value for a feature of any type, sometimes of the wrong type for it. */
function value(rng: Rng): unknown {
  return pick(rng, [true, false, 0, 5, 50, null, { color: "blue" }, "text", -1, [1]]);
}

interface Call {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  url: string;
  body?: unknown;
}

function randomCall(rng: Rng): Call {
  const x = Math.floor(rng() * 16);
  // Deletes now and then: a tenant's takes its subscriptions and grants with it.
  const del = chance(rng, 0.06);
  switch (x) {
    case 0: {
      const key = pick(rng, FEATURES);
      if (del) return { method: "DELETE", url: `/v1/features/${key}` };
      const body = {
        flagKey: chance(rng, 0.3) ? pick(rng, [...FLAGS, "no-flag"]) : null,
        archived: chance(rng, 0.15),
      };
      return chance(rng, 0.5)
        ? {
            method: "POST",
            url: "/v1/features",
            body: { key, name: key, type: pick(rng, ["boolean", "limit", "config"]), ...body },
          }
        : { method: "PATCH", url: `/v1/features/${key}`, body };
    }
    case 1: {
      const key = pick(rng, PERMISSIONS);
      if (del) return { method: "DELETE", url: `/v1/permissions/${key}` };
      const featureKey = chance(rng, 0.4) ? pick(rng, [...FEATURES, "nope"]) : null;
      return chance(rng, 0.6)
        ? { method: "POST", url: "/v1/permissions", body: { key, featureKey } }
        : { method: "PATCH", url: `/v1/permissions/${key}`, body: { featureKey } };
    }
    case 2: {
      const key = pick(rng, ROLES);
      if (del) return { method: "DELETE", url: `/v1/roles/${key}` };
      const body = {
        permissions: some(rng, [...PERMISSIONS, "nope"], 0.35),
        includes: some(rng, ROLES, 0.25),
        scopes: some(rng, ["pay.read", "pay.write"]),
      };
      return chance(rng, 0.5)
        ? { method: "POST", url: "/v1/roles", body: { key, ...body } }
        : { method: "PATCH", url: `/v1/roles/${key}`, body };
    }
    case 3:
    case 4: {
      const key = pick(rng, PLANS);
      if (del) return { method: "DELETE", url: `/v1/plans/${key}` };
      const features: Record<string, unknown> = {};
      for (const f of some(rng, [...FEATURES, "nope"], 0.5)) features[f] = value(rng);
      const body = { features, trialDays: chance(rng, 0.2) ? 14 : null, archived: chance(rng, 0.1) };
      return chance(rng, 0.5)
        ? {
            method: "POST",
            url: "/v1/plans",
            body: { key, name: key, kind: key === "boost" ? "addon" : "base", ...body },
          }
        : { method: "PATCH", url: `/v1/plans/${key}`, body };
    }
    case 5: {
      const key = pick(rng, FLAGS);
      if (del) return { method: "DELETE", url: `/v1/flags/${key}` };
      const body = {
        enabled: chance(rng, 0.8),
        default: chance(rng, 0.5),
        rollout: chance(rng, 0.4) ? pick(rng, [0, 50, 100]) : null,
        rules: chance(rng, 0.5)
          ? [
              {
                conditions: [
                  {
                    attribute: pick(rng, ["tenant.plan", "tenant.tier", "user.id"]),
                    operator: pick(rng, ["eq", "in", "gte"]),
                    values: [pick(rng, ["pro", "gold", "u1", 3])],
                  },
                ],
                serve: chance(rng, 0.8),
              },
            ]
          : [],
      };
      return chance(rng, 0.5)
        ? { method: "POST", url: "/v1/flags", body: { key, ...body } }
        : { method: "PATCH", url: `/v1/flags/${key}`, body };
    }
    case 6: {
      const id = pick(rng, ROUTES);
      if (del) return { method: "DELETE", url: `/v1/routes/${id}` };
      return {
        method: "POST",
        url: "/v1/routes",
        body: {
          id,
          method: pick(rng, ["GET", "POST"]),
          path: pick(rng, ["/docs/{id}", "/export", "/seats"]),
          ...(chance(rng, 0.2)
            ? { public: true }
            : {
                featureKey: chance(rng, 0.6) ? pick(rng, [...FEATURES, "nope"]) : null,
                permissionKey: chance(rng, 0.6) ? pick(rng, PERMISSIONS) : null,
              }),
        },
      };
    }
    case 7: {
      const id = pick(rng, TENANTS);
      if (del && chance(rng, 0.3)) return { method: "DELETE", url: `/v1/tenants/${id}` };
      const attributes = { tier: pick(rng, ["gold", "silver", 3]) };
      return chance(rng, 0.5)
        ? { method: "POST", url: "/v1/tenants", body: { id, attributes } }
        : { method: "PATCH", url: `/v1/tenants/${id}`, body: { attributes } };
    }
    case 8: {
      const id = pick(rng, USERS);
      if (del) return { method: "DELETE", url: `/v1/users/${id}` };
      return { method: "POST", url: "/v1/users", body: { id } };
    }
    case 9: {
      const url = `/v1/tenants/${pick(rng, TENANTS)}/members/${pick(rng, USERS)}`;
      if (del) return { method: "DELETE", url };
      return { method: "PUT", url, body: { roles: some(rng, [...ROLES, "nope"], 0.35) } };
    }
    case 10:
    case 11:
    case 12: {
      const id = pick(rng, SUBSCRIPTIONS);
      if (del) return { method: "DELETE", url: `/v1/subscriptions/${id}` };
      const start = near(rng);
      const body = {
        planKey: pick(rng, [...PLANS, "nope"]),
        addOns: some(rng, ["boost", "pro"], 0.3),
        status: pick(rng, STATUSES),
        startAt: start,
        endAt: chance(rng, 0.4) ? near(rng) : null,
        trialEndAt: chance(rng, 0.3) ? near(rng) : null,
      };
      return chance(rng, 0.6)
        ? { method: "POST", url: "/v1/subscriptions", body: { id, tenantId: pick(rng, TENANTS), ...body } }
        : { method: "PATCH", url: `/v1/subscriptions/${id}`, body };
    }
    case 13:
    case 14: {
      const id = pick(rng, GRANTS);
      if (del) return { method: "DELETE", url: `/v1/grants/${id}` };
      const feature = pick(rng, FEATURES);
      return {
        method: "POST",
        url: "/v1/grants",
        body: {
          id,
          tenantId: pick(rng, TENANTS),
          userId: chance(rng, 0.4) ? pick(rng, USERS) : null,
          ...(chance(rng, 0.6)
            ? { featureKey: feature, value: value(rng) }
            : { permissionKey: pick(rng, PERMISSIONS) }),
          startAt: chance(rng, 0.3) ? near(rng) : null,
          expiresAt: chance(rng, 0.5) ? near(rng) : null,
        },
      };
    }
    default: {
      // Bodies no schema takes: a malformed one, or the wrong shape altogether.
      const kind = pick(rng, ["features", "plans", "subscriptions", "grants", "roles"]);
      return {
        method: "POST",
        url: `/v1/${kind}`,
        body: pick(rng, ['{"key": "x",', { key: 7 }, { features: "all" }, [], "null"]),
      };
    }
  }
}

/** Every question the state can answer, at times on both sides of the data's boundaries. */
function questions(): unknown[] {
  const checks: unknown[] = [];
  for (const at of [-5, -2, 0, 1, 3, 5].map((d) => new Date(T0 + d * DAY + 3_600_000).toISOString())) {
    for (const tenantId of [...TENANTS, "t-none"]) {
      for (const feature of [...FEATURES, "nope"]) {
        checks.push({ subject: { tenantId }, feature, at });
        checks.push({ subject: { tenantId }, feature, requestedUsage: 10, at });
      }
      for (const userId of USERS) {
        for (const permission of PERMISSIONS) checks.push({ subject: { tenantId, userId }, permission, at });
        for (const feature of FEATURES) checks.push({ subject: { tenantId, userId }, feature, at });
        for (const [method, path] of [
          ["GET", "/docs/1"],
          ["POST", "/export"],
          ["GET", "/seats"],
        ]) {
          checks.push({ subject: { tenantId, userId }, route: { method, path }, at });
        }
      }
    }
  }
  return checks;
}

interface Backend {
  name: string;
  /** Opens the same database each time; `cleanup` removes it. */
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

function backends(): Backend[] {
  const dir = mkdtempSync(join(tmpdir(), "tessera-restart-"));
  const list: Backend[] = [
    {
      name: "pglite",
      open: () => KyselyStore.open({ dataDir: dir }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    },
  ];
  const url = process.env.TESSERA_TEST_DATABASE_URL;
  if (url) {
    const schema = `t_${randomBytes(6).toString("hex")}`;
    list.push({
      name: "postgres",
      open: () => KyselyStore.open({ url, schema, poolSize: 4 }),
      cleanup: () => dropSchema(url, schema),
    });
  }
  return list;
}

async function start(backend: Backend): Promise<Tessera> {
  return createTessera({
    store: await backend.open(),
    databaseUrl: undefined,
    dataDir: "memory://",
    bodyLimit: 65_536,
    publicUrl: "http://tessera.test",
  });
}

describe.each(backends())("after random writes, some refused, on $name", (backend) => {
  afterAll(() => backend.cleanup());

  it("a server and one started afresh on its database answer alike, and no write was a 500", async () => {
    const rng = prng(20261207);
    const first = await start(backend);
    const token = first.bootstrap!.token;
    const send = (tessera: Tessera, call: Call) =>
      tessera.app.inject({
        method: call.method,
        url: call.url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(call.body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(call.body === undefined
          ? {}
          : { payload: typeof call.body === "string" ? call.body : JSON.stringify(call.body) }),
      });

    // A catalog and subjects to start from, so that more of the random writes find what they name.
    const setup: Call[] = [
      ...FEATURES.map(
        (key, i): Call => ({
          method: "POST",
          url: "/v1/features",
          body: { key, name: key, type: ["boolean", "limit", "config", "boolean"][i] },
        }),
      ),
      ...PERMISSIONS.map((key): Call => ({ method: "POST", url: "/v1/permissions", body: { key } })),
      ...ROLES.map(
        (key, i): Call => ({
          method: "POST",
          url: "/v1/roles",
          body: { key, permissions: PERMISSIONS.slice(0, i + 1) },
        }),
      ),
      ...PLANS.map(
        (key): Call => ({
          method: "POST",
          url: "/v1/plans",
          body: {
            key,
            name: key,
            kind: key === "boost" ? "addon" : "base",
            features: { sso: key !== "free" },
          },
        }),
      ),
      ...TENANTS.map((id): Call => ({ method: "POST", url: "/v1/tenants", body: { id } })),
      ...USERS.map((id): Call => ({ method: "POST", url: "/v1/users", body: { id } })),
    ];
    for (const call of setup) expect((await send(first, call)).statusCode).toBe(201);

    const statuses: Record<number, number> = {};
    for (let i = 0; i < 400; i++) {
      const call = randomCall(rng);
      const response = await send(first, call);
      statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
      expect(response.statusCode, `${call.method} ${call.url} ${JSON.stringify(call.body)}`).toBeLessThan(
        500,
      );
    }
    // Both kinds happened, or the test proves little.
    const accepted = Object.entries(statuses)
      .filter(([s]) => Number(s) < 300)
      .reduce((n, [, c]) => n + c, 0);
    expect(accepted, JSON.stringify(statuses)).toBeGreaterThan(75);
    expect(400 - accepted, JSON.stringify(statuses)).toBeGreaterThan(100);

    const asked = questions();
    const answersOf = async (tessera: Tessera) => {
      const out: unknown[] = [];
      for (let i = 0; i < asked.length; i += 100) {
        const response = await send(tessera, {
          method: "POST",
          url: "/v1/check/batch",
          body: { checks: asked.slice(i, i + 100) },
        });
        expect(response.statusCode).toBe(200);
        for (const { decisionId: _, ...rest } of response.json().decisions) out.push(rest);
      }
      for (const tenantId of [...TENANTS, "t-none"]) {
        for (const userId of [undefined, ...USERS]) {
          const response = await send(tessera, {
            method: "POST",
            url: "/v1/lookup",
            body: { subject: { tenantId, userId }, at: new Date(T0).toISOString() },
          });
          const { subject, ...rest } = response.json();
          out.push({ ...rest, subject: subject === undefined ? undefined : { ...subject, decisionId: "" } });
        }
      }
      return out;
    };

    const before = await answersOf(first);
    // The state the writes left is rich enough to tell two servers apart.
    const reasons = new Set(before.map((a) => (a as { reason?: string }).reason));
    const entitled = before.filter((a) => (a as { entitled?: boolean }).entitled === true).length;
    expect([...reasons].sort().join(" ")).toMatch(/ENTITLED.*FEATURE_NOT_IN_PLAN.*PERMISSION_MISSING/);
    expect(entitled).toBeGreaterThan(50);
    await first.close();
    const second = await start(backend);
    try {
      const after = await answersOf(second);
      for (let i = 0; i < before.length; i++) {
        expect(after[i], JSON.stringify(asked[i] ?? "a lookup")).toEqual(before[i]);
      }
    } finally {
      await second.close();
    }
  });
});
