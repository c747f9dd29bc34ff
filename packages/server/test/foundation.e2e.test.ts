import { inRollout, TesseraClient } from "@tessera/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDataDir, runCli, type ServerProcess, startServerProcess, tempDataDir } from "./process";

const sleepUntil = (time: number) =>
  new Promise((done) => setTimeout(done, Math.max(0, time - Date.now()) + 250));

/**
 * The foundation end to end: the real server process, on the embedded database, a catalog built over HTTP
 * with the SDK's client, and decisions asked as time really passes — a grant expiring and a future-dated
 * subscription starting, with no restart and no job — then a restart on the same data folder.
 */
describe("the service end to end", { timeout: 180_000 }, () => {
  const dataDir = tempDataDir();
  let server: ServerProcess;
  let client: TesseraClient;
  let token: string;
  let serverKey = "";
  let grantExpiresAt: number;
  let futureStartsAt: number;
  const rolloutTenants = Array.from({ length: 24 }, (_, i) => `startup-${i}`);

  beforeAll(async () => {
    server = await startServerProcess(dataDir);
    expect(server.token, server.output()).toMatch(/^tsr_mgmt_/);
    token = server.token!;
    client = new TesseraClient({ baseUrl: server.url, token });

    await client.flags.create({
      key: "reports-rollout",
      enabled: true,
      rollout: 50,
      default: false,
      bucketBy: "tenant",
    });
    await client.features.create({ key: "sso", name: "SSO", type: "boolean" });
    await client.features.create({ key: "seats", name: "Seats", type: "limit" });
    await client.features.create({
      key: "api-calls",
      name: "API calls",
      type: "limit",
      resetPeriod: "month",
    });
    await client.features.create({ key: "theme", name: "Theme", type: "config" });
    await client.features.create({ key: "audit-log", name: "Audit log", type: "boolean" });
    await client.features.create({
      key: "reports",
      name: "Reports",
      type: "boolean",
      flagKey: "reports-rollout",
    });
    await client.permissions.create({ key: "billing.read" });
    await client.permissions.create({ key: "billing.write" });
    await client.permissions.create({ key: "audit.read", featureKey: "audit-log" });
    await client.roles.create({ key: "viewer", permissions: ["billing.read"] });
    await client.roles.create({
      key: "admin",
      permissions: ["billing.write", "audit.read"],
      includes: ["viewer"],
    });
    await client.plans.create({
      key: "free",
      name: "Free",
      kind: "base",
      features: { seats: 3, "api-calls": 1000, theme: { color: "gray" } },
    });
    await client.plans.create({
      key: "pro",
      name: "Pro",
      kind: "base",
      trialDays: 14,
      features: { sso: true, seats: 20, "api-calls": 100_000, theme: { color: "blue" }, reports: true },
    });
    await client.plans.create({
      key: "enterprise",
      name: "Enterprise",
      kind: "base",
      features: {
        sso: true,
        seats: null,
        "api-calls": null,
        theme: { color: "black" },
        reports: true,
        "audit-log": true,
      },
    });
    await client.plans.create({
      key: "extra-seats",
      name: "Extra seats",
      kind: "addon",
      features: { seats: 10 },
    });

    await client.tenants.create({ id: "acme", name: "Acme", attributes: { region: "eu" } });
    await client.tenants.create({ id: "globex", name: "Globex" });
    await client.tenants.create({ id: "initech", name: "Initech" });
    await client.users.create({ id: "anne", email: "anne@acme.test" });
    await client.users.create({ id: "bob", email: "bob@acme.test" });
    await client.members.set("acme", "anne", ["admin"]);
    await client.members.set("acme", "bob", ["viewer"]);

    await client.subscriptions.create({
      id: "sub-acme",
      tenantId: "acme",
      planKey: "free",
      status: "active",
      externalKey: "stripe_acme",
    });
    await client.subscriptions.create({
      tenantId: "globex",
      planKey: "pro",
      addOns: ["extra-seats"],
      status: "active",
    });

    for (const id of rolloutTenants) {
      await client.tenants.create({ id });
      await client.subscriptions.create({ tenantId: id, planKey: "pro" });
    }
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    removeDataDir(dataDir);
  });

  it("starts without a process warning (Node's, or a deprecation of Fastify's)", () => {
    // Node prints every process warning as "(node:<pid>) ..."; a user reads one at each start as a fault.
    expect(server.output()).not.toMatch(/\(node:\d+\)/);
  });

  it("answers from the catalog it was given", async () => {
    expect(await client.isEntitledTo({ tenantId: "acme" }, { feature: "seats" })).toMatchObject({
      entitled: true,
      limit: 3,
      source: { type: "plan", key: "free" },
    });
    expect(await client.isEntitledTo({ tenantId: "acme" }, { feature: "sso" })).toMatchObject({
      entitled: false,
      reason: "FEATURE_NOT_IN_PLAN",
      remediation: { plans: ["enterprise", "pro"] },
    });
    expect(await client.isEntitledTo({ tenantId: "acme" }, { feature: "theme" })).toMatchObject({
      value: { color: "gray" },
    });
    expect(await client.isEntitledTo({ tenantId: "globex" }, { feature: "seats" })).toMatchObject({
      limit: 30,
    });
    expect(
      await client.isEntitledTo({ tenantId: "globex" }, { feature: "seats", requestedUsage: 31 }),
    ).toMatchObject({ entitled: false, reason: "USAGE_LIMIT_EXCEEDED" });
    expect(await client.isEntitledTo({ tenantId: "acme" }, { feature: "sso0" })).toMatchObject({
      reason: "FEATURE_NOT_FOUND",
    });
    expect(await client.isEntitledTo({ tenantId: "nobody" }, { feature: "sso" })).toMatchObject({
      reason: "TENANT_NOT_FOUND",
    });
    expect(
      await client.isEntitledTo({ tenantId: "acme", userId: "anne" }, { permission: "billing.write" }),
    ).toMatchObject({
      entitled: true,
      source: { type: "role", key: "admin" },
    });
    expect(
      await client.isEntitledTo({ tenantId: "acme", userId: "bob" }, { permission: "billing.write" }),
    ).toMatchObject({
      entitled: false,
      reason: "PERMISSION_MISSING",
      remediation: { roles: ["admin"] },
    });
  });

  it("serves a percentage rollout by a stable hash the SDK shares", async () => {
    const decisions = await client.checkBatch(
      rolloutTenants.map((tenantId) => ({ subject: { tenantId }, feature: "reports" })),
    );
    const on = decisions.map((d) => d.entitled);
    expect(on).toEqual(rolloutTenants.map((id) => inRollout("reports-rollout", id, 50)));
    expect(on.filter(Boolean).length).toBeGreaterThan(0);
    expect(on.filter((x) => !x).length).toBeGreaterThan(0);
    for (const d of decisions.filter((d) => !d.entitled)) expect(d.reason).toBe("FEATURE_DISABLED");
  });

  it("sees a plan upgrade in the very next decision", async () => {
    const before = await client.isEntitledTo({ tenantId: "acme" }, { feature: "seats" });
    await client.subscriptions.update("sub-acme", { planKey: "pro" });
    const after = await client.isEntitledTo({ tenantId: "acme" }, { feature: "seats" });
    expect(after).toMatchObject({ entitled: true, limit: 20, source: { type: "plan", key: "pro" } });
    expect(after.revision).toBeGreaterThan(before.revision);
    expect(await client.isEntitledTo({ tenantId: "acme" }, { feature: "sso" })).toMatchObject({
      entitled: true,
    });
  });

  it("lets a grant expire and a future subscription start, by themselves", async () => {
    // Made here rather than in beforeAll, so a slow machine cannot use up the window before the first check.
    const now = Date.now();
    grantExpiresAt = now + 3_000;
    futureStartsAt = now + 4_000;
    await client.grants.create({
      tenantId: "acme",
      featureKey: "audit-log",
      expiresAt: new Date(grantExpiresAt).toISOString(),
      note: "pilot",
    });
    await client.subscriptions.create({
      tenantId: "initech",
      planKey: "enterprise",
      startAt: new Date(futureStartsAt).toISOString(),
    });
    expect(await client.isEntitledTo({ tenantId: "acme" }, { feature: "audit-log" })).toMatchObject({
      entitled: true,
      source: { type: "grant" },
    });
    expect(
      await client.isEntitledTo({ tenantId: "acme", userId: "anne" }, { permission: "audit.read" }),
    ).toMatchObject({
      entitled: true,
    });
    expect(await client.isEntitledTo({ tenantId: "initech" }, { feature: "sso" })).toMatchObject({
      entitled: false,
      reason: "NO_ACTIVE_SUBSCRIPTION",
    });

    await sleepUntil(grantExpiresAt);
    expect(await client.isEntitledTo({ tenantId: "acme" }, { feature: "audit-log" })).toMatchObject({
      entitled: false,
      reason: "FEATURE_NOT_IN_PLAN",
      remediation: { plans: ["enterprise"] },
    });
    expect(
      await client.isEntitledTo({ tenantId: "acme", userId: "anne" }, { permission: "audit.read" }),
    ).toMatchObject({
      entitled: false,
      reason: "FEATURE_NOT_IN_PLAN",
    });

    await sleepUntil(futureStartsAt);
    expect(await client.isEntitledTo({ tenantId: "initech" }, { feature: "seats" })).toMatchObject({
      entitled: true,
      limit: null,
      source: { type: "plan", key: "enterprise" },
    });
  });

  it("lists what a subject has and what a subscription confers", async () => {
    const lookup = await client.lookup({ tenantId: "acme", userId: "bob" });
    expect(lookup.plans).toEqual(["pro"]);
    expect(lookup.permissions.map((p) => p.key)).toEqual(["billing.read"]);
    const byExternalKey = (await client.entitlements("stripe_acme")) as {
      entitlements: { featureKey: string }[];
    };
    expect(byExternalKey.entitlements.map((e) => e.featureKey).sort()).toEqual([
      "api-calls",
      "reports",
      "seats",
      "sso",
      "theme",
    ]);
  });

  it("records every change with who made it", async () => {
    const page = await client.changes({ limit: 1000 });
    const upgrade = page.items.find((c) => c.kind === "subscription" && c.action === "update");
    expect(upgrade).toMatchObject({
      resourceId: "sub-acme",
      before: { planKey: "free" },
      after: { planKey: "pro" },
    });
    expect(upgrade?.actor).toMatch(/^tok_/);
  });

  /** `tessera token create` on the server's data folder, for "development". */
  const createServerKey = (name: string) =>
    runCli([
      "token",
      "create",
      "--data-dir",
      dataDir,
      "--environment",
      "development",
      "--kind",
      "server",
      "--name",
      name,
    ]);

  it("refuses the CLI the data folder while the server has it open", () => {
    const refused = createServerKey("too-soon");
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/is in use by process \d+/);
    expect(refused.stdout).not.toMatch(/tsr_/);
  });

  it("keeps everything across a restart, and prints no new token", async () => {
    await server.stop();
    // PGlite's data folder belongs to one process at a time: the CLI makes its key while the server is down.
    const made = createServerKey("edge");
    expect(made.status, made.stderr).toBe(0);
    serverKey = /^(tsr_sk_\S+)$/m.exec(made.stdout)?.[1] ?? "";
    expect(serverKey).toMatch(/^tsr_sk_/);
    server = await startServerProcess(dataDir);
    expect(server.token).toBeUndefined();
    expect(server.output()).not.toContain("tsr_mgmt_");
    client = new TesseraClient({ baseUrl: server.url, token });
    expect(await client.isEntitledTo({ tenantId: "acme" }, { feature: "seats" })).toMatchObject({
      limit: 20,
    });
    expect(await client.isEntitledTo({ tenantId: "initech" }, { feature: "sso" })).toMatchObject({
      entitled: true,
    });
    expect(await client.isEntitledTo({ tenantId: "acme" }, { feature: "audit-log" })).toMatchObject({
      entitled: false,
    });
  });

  it("rotates the OAuth signing key from the CLI, keeping the previous one published", async () => {
    const before = runCli(["keys", "list", "--url", server.url, "--token", token]);
    expect(before.status, before.stderr).toBe(0);
    const active = (JSON.parse(before.stdout) as { items: { kid: string; status: string }[] }).items.find(
      (k) => k.status === "active",
    );
    expect(active).toBeDefined();
    const rotated = runCli(["keys", "rotate", "--url", server.url, "--token", token]);
    expect(rotated.status, rotated.stderr).toBe(0);
    const { kid, previous } = JSON.parse(rotated.stdout) as { kid: string; previous: string };
    expect(previous).toBe(active!.kid);
    expect(kid).not.toBe(previous);
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([kid, previous]));
    const refused = runCli(["keys", "rotate", "--url", server.url, "--token", "tsr_mgmt_not-a-token"]);
    expect(refused.status).toBe(1);
  });
});
