/**
 * A server for the HTTP benchmark, run as a child process so that the load generator in the parent never
 * shares its event loop. `bare`: Fastify with one POST route that parses the body and returns a constant.
 * `tessera`: the real server (createTessera, PGlite in memory), loaded with the benchmark's data.
 *
 * Loading: the catalog goes in through the store's write path (one transaction). The tenants, users,
 * memberships, subscriptions and grants are many (about 4.7 per tenant: 470,000 rows at 100k tenants), and
 * PGlite inserts them at roughly 2 ms a row, which would take a quarter of an hour; so the store is wrapped
 * and its `loadState` returns those rows beside the database's own, exactly as the database would. The
 * snapshot is then reloaded through the ordinary path (SnapshotRegistry.reload → Store.loadState →
 * compile), and the decision path under test is the production one.
 *
 * `tessera stages` adds routes that stop part-way along /v1/check's path (http-stage-routes.ts).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { evaluate } from "../packages/sdk/src/core/evaluate";
import { Snapshot } from "../packages/sdk/src/core/snapshot";
import type { EnvironmentState } from "../packages/sdk/src/core/types";
import { createTessera, type Tessera } from "../packages/server/src/server";
import type { SnapshotRegistry } from "../packages/server/src/services/snapshots";
import { KyselyStore } from "../packages/server/src/storage/kysely-store";
import type { Store, StoredResource } from "../packages/server/src/storage/store";
import { holdTickShape } from "../packages/server/src/tick-shape";
import { generateCatalog, generateRequests, generateState } from "./data";
import { elapsedMs, failAndExit, send, settledHeap } from "./harness";
import { addStageRoutes } from "./http-stage-routes";

export const BODY_LIMIT = 1_048_576;

export interface Ready {
  type: "ready";
  port: number;
  token: string | undefined;
}

export interface LoadCommand {
  type: "load";
  tenants: number;
  anchor: number;
  /** How many request bodies to send back for the load generator. */
  bodies: number;
}

export interface Loaded {
  type: "loaded";
  tenants: number;
  loadMs: number;
  /** JSON bodies for POST /v1/check. */
  bodies: string[];
  /**
   * For each body, `entitled/reason` from a snapshot compiled here from the same data without the store: the
   * parent checks the server's answers against these over HTTP.
   */
  expected: string[];
}

/**
 * A full collection before measuring, in both servers. What loading left behind (the generated data, the
 * reference snapshot, the rows handed to the store) is garbage, but V8 runs no full collection under a steady
 * request load, and each young-generation collection costs more the bigger the old generation is (about
 * 0.3 µs per 256 KB page, measured apart). Unsettled, the Tessera server at 100k tenants carried about
 * 600 MB into the measurement, 364 MB of it live; so it paid for the benchmark's leftovers. Settled, each
 * server is measured with what it holds live, as JMH collects before each iteration.
 */
export interface SettleCommand {
  type: "settle";
}

export interface Settled {
  type: "settled";
  /** Live bytes after the collection (JS heap and array buffers); undefined without --expose-gc. */
  heapBytes: number | undefined;
}

function settle(): Promise<Settled> {
  return Promise.resolve({ type: "settled", heapBytes: settledHeap() });
}

export interface ProfileCommand {
  type: "profile";
  action: "start" | "stop";
}

export interface Profiled {
  type: "profiled";
  /** Where the profile was written, on stop. */
  path: string | undefined;
}

/** A decision-sized constant, so both servers send a similar amount back. */
const CONSTANT = {
  entitled: true,
  reason: "ENTITLED",
  message: "Entitled.",
  source: { type: "plan", key: "pro" },
  decisionId: "dec_000000000000_0",
  revision: 1,
};

async function bare(): Promise<void> {
  // As createTessera does for the Tessera server (see tick-shape.ts): otherwise either server could, at
  // random, spend the whole run with nextTick on V8's slow path.
  holdTickShape();
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT });
  app.post("/v1/check", async () => CONSTANT);
  await app.listen({ host: "127.0.0.1", port: 0 });
  await send({ type: "ready", port: portOf(app.server.address()), token: undefined } satisfies Ready);
  process.on("message", (message: SettleCommand) => {
    if (message?.type === "settle") settle().then(send, failAndExit);
  });
  process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
}

const SUBJECT_KINDS = ["tenants", "users", "memberships", "subscriptions", "grants"] as const;
const KIND: Record<(typeof SUBJECT_KINDS)[number], string> = {
  tenants: "tenant",
  users: "user",
  memberships: "membership",
  subscriptions: "subscription",
  grants: "grant",
};

/** The Store, except that loadState also returns `extra` for one environment. Everything else passes through. */
function withExtraRows(inner: Store, environmentId: () => string | undefined, extra: () => StoredResource[]) {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === "loadState") {
        return async (id: string) => {
          const state = await target.loadState(id);
          return id === environmentId() ? { ...state, resources: [...state.resources, ...extra()] } : state;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function subjectRows(state: EnvironmentState): StoredResource[] {
  const now = new Date().toISOString();
  const rows: StoredResource[] = [];
  for (const list of SUBJECT_KINDS) {
    for (const data of state[list] as unknown as Record<string, string>[]) {
      const id = list === "memberships" ? `${data.tenantId}/${data.userId}` : data.id!;
      rows.push({ kind: KIND[list], id, data, createdAt: now, updatedAt: now });
    }
  }
  return rows;
}

async function tessera(stages: boolean): Promise<void> {
  let environmentId: string | undefined;
  let rows: StoredResource[] = [];
  const inner = await KyselyStore.open({ url: undefined, dataDir: "memory://" });
  const store = withExtraRows(
    inner,
    () => environmentId,
    () => rows,
  );
  const server: Tessera = await createTessera({
    databaseUrl: undefined,
    dataDir: "memory://",
    bodyLimit: BODY_LIMIT,
    logger: false,
    store,
  });
  const { bootstrap } = server;
  if (!bootstrap) throw new Error("a fresh in-memory store should bootstrap");
  const env = bootstrap.environment.id;
  environmentId = env;
  const snapshots = (server.services as unknown as { snapshots: SnapshotRegistry }).snapshots;

  // The catalog, through the real write path.
  const catalog = generateCatalog();
  await server.store.write(env, "bench", async (tx) => {
    for (const f of catalog.features) await tx.create("feature", f.key, f);
    for (const p of catalog.permissions) await tx.create("permission", p.key, p);
    for (const r of catalog.roles) await tx.create("role", r.key, r);
    for (const p of catalog.plans) await tx.create("plan", p.key, p);
    for (const f of catalog.flags) await tx.create("flag", f.key, f);
    for (const r of catalog.routes) await tx.create("route", r.id, r);
  });

  if (stages) addStageRoutes(server, JSON.stringify(CONSTANT));
  await server.app.listen({ host: "127.0.0.1", port: 0 });
  await send({
    type: "ready",
    port: portOf(server.app.server.address()),
    token: bootstrap.token,
  } satisfies Ready);

  const answer = (message: LoadCommand | ProfileCommand | SettleCommand) => {
    switch (message?.type) {
      case "load":
        return load(message);
      case "profile":
        return profile(message);
      case "settle":
        return settle();
      default:
        return undefined;
    }
  };
  process.on("message", (message: LoadCommand | ProfileCommand | SettleCommand) => {
    answer(message)?.then(send, failAndExit);
  });
  process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));

  async function load(command: LoadCommand): Promise<Loaded> {
    const start = process.hrtime.bigint();
    const state = generateState({ tenants: command.tenants, anchor: command.anchor });
    rows = subjectRows(state);
    const snapshot = await snapshots.reload(env);
    rows = [];
    const loadMs = elapsedMs(start);
    if (snapshot.tenants.size !== command.tenants) {
      throw new Error(`loaded ${snapshot.tenants.size} tenants, expected ${command.tenants}`);
    }

    const requests = generateRequests(state, { count: command.bodies });
    const bodies = requests.map((r) => JSON.stringify(r));
    // The answers of a snapshot compiled apart, for the parent to hold the server's to. The server itself is
    // asked over its socket only, never through app.inject(): light-my-request's fake requests and replies
    // make the inline caches of Fastify's and Node's request path polymorphic for the rest of the process,
    // which cost every later request about 8 µs (a fifth of the bare route) and was an artefact of the bench.
    // For the same reason the reference is asked the bodies parsed, as the route hands them over: the
    // generator's object literals have shapes no request has, and would widen the evaluator's inline caches.
    const reference = Snapshot.compile(state);
    const expected = bodies.map((body) => {
      const d = evaluate(reference, JSON.parse(body));
      return `${d.entitled}/${d.reason}`;
    });
    return { type: "loaded", tenants: command.tenants, loadMs, bodies, expected };
  }
}

/** Starts or stops the V8 CPU profiler in this process; stopping writes the profile to a file. */
async function profile(command: ProfileCommand): Promise<Profiled> {
  if (command.action === "start") {
    await post("Profiler.enable");
    await post("Profiler.start");
    return { type: "profiled", path: undefined };
  }
  const { profile } = (await post("Profiler.stop")) as { profile: object };
  const path = join(mkdtempSync(join(tmpdir(), "tessera-bench-http-prof-")), "server.cpuprofile");
  writeFileSync(path, JSON.stringify(profile));
  return { type: "profiled", path };
}

let session: Session | undefined;

function post(method: string): Promise<unknown> {
  if (!session) {
    session = new Session();
    session.connect();
  }
  const s = session;
  return new Promise((resolve, reject) =>
    s.post(method, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

function portOf(address: ReturnType<import("node:net").Server["address"]>): number {
  if (address === null || typeof address === "string") throw new Error("expected a TCP address");
  return address.port;
}

const mode = process.argv[2];
(mode === "bare"
  ? bare()
  : mode === "tessera"
    ? tessera(process.argv[3] === "stages")
    : Promise.reject(new Error(`mode: ${mode}`))
).catch((error: unknown) => failAndExit(error));
