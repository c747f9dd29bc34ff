import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

/**
 * The project's shared folder (the real OpenAPI documents the importer is tested on), beside the checkout
 * as `../shared`, or wherever TESSERA_SHARED_DIR says. A clone without it still runs every other test:
 * the tests that need these documents are skipped with a warning. CI refuses to run without it
 * (.ci/run), so they can never be skipped there.
 */
export const sharedDir = process.env.TESSERA_SHARED_DIR ?? path.resolve(repoRoot, "..", "shared");
export const openapiFixtures = path.join(sharedDir, "fixtures", "openapi");
export const haveOpenapiFixtures = existsSync(openapiFixtures);
if (!haveOpenapiFixtures) {
  console.warn(`OpenAPI fixture tests skipped: ${openapiFixtures} not found (set TESSERA_SHARED_DIR)`);
}

/** The path of one fixture document. */
export function openapiFixture(name: string): string {
  return path.join(openapiFixtures, name);
}
