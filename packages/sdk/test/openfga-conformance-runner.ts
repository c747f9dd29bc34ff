/**
 * Runs OpenFGA's own conformance files (assets/tests of openfga/openfga) against the relationship engine.
 * Used by openfga-conformance.test.ts; also runnable alone: `npx tsx packages/sdk/test/openfga-conformance-runner.ts`.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { transformer } from "@openfga/syntax-transformer";
import { parse } from "yaml";
import {
  type AuthorizationModelJson,
  check,
  compileModel,
  createEngine,
  listObjects,
  listUsers,
  type RelationIssue,
  type RelationTuple,
  TupleStore,
  validateTuples,
} from "../src/core/relations/index";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** OpenFGA's suite, in the shared folder beside the checkout or wherever TESSERA_SHARED_DIR says. */
export const conformanceDir = path.join(
  process.env.TESSERA_SHARED_DIR ?? path.resolve(repoRoot, "..", "shared"),
  "conformance",
  "openfga",
);
export const conformanceFiles = ["consolidated_1_1_tests.yaml", "abac_tests.yaml"];

interface YamlTuple {
  object: string;
  relation: string;
  user: string;
  condition?: { name: string; context?: Record<string, unknown> };
}

interface YamlStage {
  model: string;
  tuples?: YamlTuple[] | null;
  checkAssertions?:
    | {
        tuple: YamlTuple;
        context?: Record<string, unknown>;
        contextualTuples?: YamlTuple[];
        expectation?: boolean;
        errorCode?: number;
      }[]
    | null;
  listObjectsAssertions?:
    | {
        request: { user: string; type: string; relation: string };
        context?: Record<string, unknown>;
        contextualTuples?: YamlTuple[];
        expectation?: string[] | null;
        errorCode?: number;
      }[]
    | null;
  listUsersAssertions?:
    | {
        request: { filters: string[]; object: string; relation: string; expectation?: string[] | null };
        context?: Record<string, unknown>;
        contextualTuples?: YamlTuple[];
        expectation?: string[] | null;
        errorCode?: number;
      }[]
    | null;
}

export interface AssertionResult {
  id: string;
  passed: boolean;
  detail: string;
}

export interface TestResult {
  file: string;
  name: string;
  results: AssertionResult[];
}

type Api = "check" | "listObjects" | "listUsers";

/**
 * OpenFGA's numeric codes for our issues. Its quirks: Check reports every input problem as a validation
 * error, and ListObjects does so for a bad user while naming unknown target types and relations precisely.
 */
function openfgaCode(api: Api, e: RelationIssue): number {
  switch (e.code) {
    case "RELATION_DEPTH_EXCEEDED":
      return 2002;
    case "INVALID_TUPLE":
      return 2027;
    case "UNKNOWN_TYPE":
      return api === "check" || e.path === "user" ? 2000 : 2021;
    case "UNKNOWN_RELATION":
      return api === "check" || e.path === "user" ? 2000 : 2022;
    default:
      return 2000;
  }
}

const toTuple = (t: YamlTuple): RelationTuple =>
  t.condition
    ? { object: t.object, relation: t.relation, user: t.user, condition: t.condition }
    : { object: t.object, relation: t.relation, user: t.user };

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export function runConformanceFile(file: string): TestResult[] {
  const doc = parse(readFileSync(path.join(conformanceDir, file), "utf8")) as {
    tests: { name: string; stages: YamlStage[] }[];
  };
  return doc.tests.map((test) => ({ file, name: test.name, results: runTest(test.name, test.stages) }));
}

function runTest(name: string, stages: YamlStage[]): AssertionResult[] {
  const results: AssertionResult[] = [];
  // All stages share one store, as in OpenFGA's harness: later models see (and must ignore) earlier tuples.
  const store = new TupleStore();
  stages.forEach((stage, si) => {
    const prefix = `${name}/stage${si}`;
    const json = transformer.transformDSLToJSONObject(stage.model) as unknown as AuthorizationModelJson;
    const { model, errors } = compileModel(json);
    if (!model) {
      results.push({
        id: `${prefix}/model`,
        passed: false,
        detail: `model refused: ${errors.map((e) => e.message).join("; ")}`,
      });
      return;
    }
    const engine = createEngine(model, store);
    const tuples = (stage.tuples ?? []).map(toTuple);
    const refused = validateTuples(model, tuples);
    if (refused.length > 0) {
      results.push({
        id: `${prefix}/tuples`,
        passed: false,
        detail: `tuples refused: ${refused.map((e) => `${e.path}: ${e.message}`).join("; ")}`,
      });
    }
    store.write(tuples);
    const expectError = (
      id: string,
      api: Api,
      expected: number,
      error: RelationIssue | undefined,
      got: string,
    ) => {
      if (!error) {
        results.push({ id, passed: false, detail: `expected error ${expected}, got ${got}` });
        return;
      }
      const code = openfgaCode(api, error);
      results.push({
        id,
        passed: code === expected,
        detail: `expected error ${expected}, got ${code} (${error.code}: ${error.message})`,
      });
    };
    for (const [i, a] of (stage.checkAssertions ?? []).entries()) {
      const id = `${prefix}/check[${i}] ${a.tuple.object}#${a.tuple.relation}@${a.tuple.user}`;
      const r = check(engine, {
        ...a.tuple,
        context: a.context,
        contextualTuples: a.contextualTuples?.map(toTuple),
      });
      if (a.errorCode) {
        expectError(id, "check", a.errorCode, r.error, String(r.allowed));
        continue;
      }
      if (r.error) {
        results.push({
          id,
          passed: false,
          detail: `unexpected error ${r.error.code}: ${r.error.message}`,
        });
        continue;
      }
      results.push({
        id,
        passed: r.allowed === (a.expectation ?? false),
        detail: `expected ${a.expectation}, got ${r.allowed}`,
      });
    }
    for (const [i, a] of (stage.listObjectsAssertions ?? []).entries()) {
      const id = `${prefix}/listObjects[${i}] ${a.request.type}#${a.request.relation}@${a.request.user}`;
      const objects: string[] = [];
      let cursor: string | undefined;
      let error: RelationIssue | undefined;
      do {
        const r = listObjects(engine, {
          ...a.request,
          context: a.context,
          contextualTuples: a.contextualTuples?.map(toTuple),
          cursor,
          pageSize: 50,
        });
        error = r.error;
        objects.push(...r.objects);
        cursor = r.cursor ?? undefined;
      } while (cursor && !error);
      if (a.errorCode) {
        expectError(id, "listObjects", a.errorCode, error, JSON.stringify(objects));
        continue;
      }
      if (error) {
        results.push({
          id,
          passed: false,
          detail: `unexpected error ${error.code}: ${error.message}`,
        });
        continue;
      }
      const expected = a.expectation ?? [];
      results.push({
        id,
        passed: sameSet(objects, expected),
        detail: `expected ${JSON.stringify(expected)}, got ${JSON.stringify(objects)}`,
      });
    }
    for (const [i, a] of (stage.listUsersAssertions ?? []).entries()) {
      const id = `${prefix}/listUsers[${i}] ${a.request.object}#${a.request.relation} [${a.request.filters.join(",")}]`;
      const userFilters = a.request.filters.map((f) => {
        const [type, relation] = f.split("#");
        return relation ? { type: type!, relation } : { type: type! };
      });
      const r = listUsers(engine, {
        object: a.request.object,
        relation: a.request.relation,
        userFilters,
        context: a.context,
        contextualTuples: a.contextualTuples?.map(toTuple),
      });
      if (a.errorCode) {
        expectError(id, "listUsers", a.errorCode, r.error, JSON.stringify(r.users));
        continue;
      }
      if (r.error) {
        results.push({
          id,
          passed: false,
          detail: `unexpected error ${r.error.code}: ${r.error.message}`,
        });
        continue;
      }
      const expected = a.expectation ?? a.request.expectation ?? [];
      results.push({
        id,
        passed: sameSet(r.users, expected),
        detail: `expected ${JSON.stringify(expected)}, got ${JSON.stringify(r.users)}`,
      });
    }
  });
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  if (!existsSync(conformanceDir)) {
    console.log(`openfga conformance: skipped, ${conformanceDir} not found`);
  } else {
    let passed = 0;
    let failed = 0;
    for (const file of conformanceFiles) {
      for (const t of runConformanceFile(file)) {
        for (const r of t.results) {
          if (r.passed) passed++;
          else {
            failed++;
            console.log(`FAIL ${file} ${r.id}: ${r.detail}`);
          }
        }
      }
    }
    console.log(`openfga conformance: ${passed} passed, ${failed} failed`);
  }
}
