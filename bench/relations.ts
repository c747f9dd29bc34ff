/**
 * Relationship engine benchmark: `npx tsx --expose-gc bench/relations.ts` (add `--quick` for a 10x smaller set).
 * Builds ~1M tuples (users in groups, folders nested three deep, documents), then prints load time, heap,
 * check latencies (direct; through three arrows and a group), listObjects for a user who sees 10k documents,
 * and the same checks through casbin with an equivalent role graph, measured in the same run.
 */
import { newEnforcer, newModelFromString } from "casbin";
import {
  check,
  compileModel,
  createEngine,
  listObjects,
  type RelationTuple,
  TupleStore,
} from "../packages/sdk/src/core/relations/index";
import { prng } from "./data";

const quick = process.argv.includes("--quick");
const scale = quick ? 10 : 1;
const USERS = 100_000 / scale;
const GROUPS = 10_000 / scale;
const MEMBERS_PER_GROUP = 20;
const TOP = 70 / (quick ? 7 : 1);
const FANOUT = 10;
const DOCS_PER_LEAF = 100;
const DIRECT_VIEWERS = 100_000 / scale;

const model = compileModel({
  schema_version: "1.1",
  type_definitions: [
    { type: "user" },
    {
      type: "group",
      relations: { member: { this: {} } },
      metadata: {
        relations: {
          member: { directly_related_user_types: [{ type: "user" }, { type: "group", relation: "member" }] },
        },
      },
    },
    ...["folder", "document"].map((type) => ({
      type,
      relations: {
        parent: { this: {} },
        viewer: {
          union: {
            child: [
              { this: {} },
              {
                tupleToUserset: { tupleset: { relation: "parent" }, computedUserset: { relation: "viewer" } },
              },
            ],
          },
        },
      },
      metadata: {
        relations: {
          parent: { directly_related_user_types: [{ type: "folder" }] },
          viewer: { directly_related_user_types: [{ type: "user" }, { type: "group", relation: "member" }] },
        },
      },
    })),
  ],
});
if (!model.model) throw new Error(JSON.stringify(model.errors));

/**
 * Mulberry32, seeded: the same data on every run. (An LCG written in doubles loses precision once the
 * product passes 2^53 and falls into short cycles; one did, and drew 5k distinct direct viewers of 100k.)
 */
const random = prng(42);
const rand = (n: number) => Math.floor(random() * n);

function* dataset(): Generator<RelationTuple> {
  for (let g = 0; g < GROUPS; g++) {
    for (let m = 0; m < MEMBERS_PER_GROUP; m++)
      yield { object: `group:${g}`, relation: "member", user: `user:${rand(USERS)}` };
  }
  for (let t = 0; t < TOP; t++) {
    yield { object: `folder:t${t}`, relation: "viewer", user: `group:${t}#member` };
    for (let m = 0; m < FANOUT; m++) {
      const mid = `folder:t${t}-${m}`;
      yield { object: mid, relation: "parent", user: `folder:t${t}` };
      for (let l = 0; l < FANOUT; l++) {
        const leaf = `${mid}-${l}`;
        yield { object: leaf, relation: "parent", user: mid };
        for (let d = 0; d < DOCS_PER_LEAF; d++)
          yield { object: `document:${leaf.slice(7)}-${d}`, relation: "parent", user: leaf };
      }
    }
  }
  const docs = TOP * FANOUT * FANOUT * DOCS_PER_LEAF;
  for (let i = 0; i < DIRECT_VIEWERS; i++) {
    const d = rand(docs);
    const leaf = Math.floor(d / DOCS_PER_LEAF);
    const doc = `document:t${Math.floor(leaf / 100)}-${Math.floor(leaf / 10) % 10}-${leaf % 10}-${d % DOCS_PER_LEAF}`;
    yield { object: doc, relation: "viewer", user: `user:${rand(USERS)}` };
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
/** Typed arrays (the index keeps its name table in them) live outside the JS heap: reported beside it. */
const arrayBuffersMb = () => {
  // Buffers dropped when the table grew are released once a collection has finished sweeping them.
  gc?.();
  gc?.();
  return process.memoryUsage().arrayBuffers / 2 ** 20;
};

function percentiles(samples: number[]): { p50: number; p99: number } {
  samples.sort((a, b) => a - b);
  return {
    p50: samples[Math.floor(samples.length * 0.5)]!,
    p99: samples[Math.floor(samples.length * 0.99)]!,
  };
}

function timeEach(n: number, fn: (i: number) => void): { p50: number; p99: number; mean: number } {
  // Warm-up: enough calls for the optimizing compiler to settle, over the same inputs as the timed ones.
  for (let i = 0; i < Math.min(n, 20_000); i++) fn(i);
  const samples: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    fn(i);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  const mean = Number(process.hrtime.bigint() - start) / 1000 / n;
  return { ...percentiles(samples), mean };
}

const fmt = (r: { p50: number; p99: number; mean?: number }) =>
  `p50 ${r.p50.toFixed(2)} µs, p99 ${r.p99.toFixed(2)} µs${r.mean === undefined ? "" : `, mean ${r.mean.toFixed(2)} µs`}`;

// --- Tessera ---
const tuples = [...dataset()];
const heapBefore = heapMb();
const buffersBefore = arrayBuffersMb();
const loadStart = performance.now();
const store = new TupleStore();
for (let i = 0; i < tuples.length; i += 10_000) store.write(tuples.slice(i, i + 10_000));
const engine = createEngine(model.model, store);
const loadMs = performance.now() - loadStart;
const heapAfter = heapMb();
const buffers = arrayBuffersMb() - buffersBefore;
console.log(`tuples: ${store.size.toLocaleString()} (${tuples.length.toLocaleString()} generated)`);
console.log(
  `tessera load: ${(loadMs / 1000).toFixed(2)} s, index heap ${(heapAfter - heapBefore).toFixed(0)} MB + ${buffers.toFixed(0)} MB in typed arrays (total heap ${heapAfter.toFixed(0)} MB)`,
);

const directTuples = tuples.filter((t) => t.relation === "viewer" && t.object.startsWith("document:"));
const direct = timeEach(100_000, (i) => {
  const t = directTuples[i % directTuples.length]!;
  if (!check(engine, { object: t.object, relation: "viewer", user: t.user }).allowed)
    throw new Error("direct check failed");
});
console.log(`tessera direct check: ${fmt(direct)}`);

const members = tuples.filter((t) => t.object === "group:0" && t.relation === "member").map((t) => t.user);
const seer = members[0]!;
const deepDocs = Array.from(
  { length: 1000 },
  (_, i) => `document:t0-${i % 10}-${Math.floor(i / 10) % 10}-${(i * 7) % DOCS_PER_LEAF}`,
);
const arrows = timeEach(100_000, (i) => {
  if (!check(engine, { object: deepDocs[i % deepDocs.length]!, relation: "viewer", user: seer }).allowed)
    throw new Error("arrow check failed");
});
console.log(`tessera three-arrow check: ${fmt(arrows)}`);
const denied = timeEach(20_000, (i) => {
  check(engine, { object: deepDocs[i % deepDocs.length]!, relation: "viewer", user: `user:nobody${i}` });
});
console.log(`tessera three-arrow denial: ${fmt(denied)}`);

const listRuns: number[] = [];
let listed = 0;
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const objects: string[] = [];
  let cursor: string | undefined;
  do {
    const page = listObjects(engine, {
      type: "document",
      relation: "viewer",
      user: seer,
      pageSize: 20_000,
      cursor,
    });
    objects.push(...page.objects);
    cursor = page.cursor ?? undefined;
  } while (cursor);
  listRuns.push(performance.now() - t0);
  listed = objects.length;
}
listRuns.sort((a, b) => a - b);
console.log(
  `tessera listObjects: ${listed.toLocaleString()} documents in ${listRuns[2]!.toFixed(1)} ms (median of 5)`,
);

// --- casbin, same graph as g-rules: user -> group -> top folder role; document -> leaf -> mid -> top via g2 ---
const casbinModel = newModelFromString(`
[request_definition]
r = sub, obj, act
[policy_definition]
p = sub, obj, act
[role_definition]
g = _, _
g2 = _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = (g(r.sub, p.sub) && g2(r.obj, p.obj) && r.act == p.act) || (r.sub == p.sub && r.obj == p.obj && r.act == p.act)
`);
const enforcer = await newEnforcer(casbinModel);
const cStart = performance.now();
const policies: string[][] = [];
const g: string[][] = [];
const g2: string[][] = [];
for (const t of tuples) {
  if (t.relation === "member") g.push([t.user, t.object]);
  else if (t.relation === "parent") g2.push([t.object, t.user]);
  else if (t.user.includes("#")) policies.push([t.user.split("#")[0]!, t.object, "viewer"]);
  else policies.push([t.user, t.object, "viewer"]);
}
await enforcer.addPolicies(policies);
await enforcer.addNamedGroupingPolicies("g", g);
await enforcer.addNamedGroupingPolicies("g2", g2);
const cLoad = performance.now() - cStart;
console.log(`casbin load: ${(cLoad / 1000).toFixed(2)} s (total heap ${heapMb().toFixed(0)} MB)`);
const cDirectN = 2_000;
const cDirect = [] as number[];
for (let i = 0; i < cDirectN; i++) {
  const t = directTuples[i % directTuples.length]!;
  const t0 = process.hrtime.bigint();
  const ok = await enforcer.enforce(t.user, t.object, "viewer");
  cDirect.push(Number(process.hrtime.bigint() - t0) / 1000);
  if (!ok) throw new Error("casbin direct check failed");
}
const cArrow = [] as number[];
for (let i = 0; i < 500; i++) {
  const t0 = process.hrtime.bigint();
  const ok = await enforcer.enforce(seer, deepDocs[i % deepDocs.length]!, "viewer");
  cArrow.push(Number(process.hrtime.bigint() - t0) / 1000);
  if (!ok) throw new Error("casbin arrow check failed");
}
const cd = percentiles(cDirect);
const ca = percentiles(cArrow);
console.log(`casbin direct check: ${fmt(cd)}`);
console.log(`casbin three-arrow check: ${fmt(ca)}`);
console.log(
  `ratios (casbin / tessera, p50): load ${(cLoad / loadMs).toFixed(1)}x, direct ${(cd.p50 / direct.p50).toFixed(0)}x, three-arrow ${(ca.p50 / arrows.p50).toFixed(0)}x`,
);
