import { randomUUID } from "node:crypto";
import { compileRouteTable, type RouteRule } from "@tessera/sdk/core";
import { TesseraError } from "../../errors";
import type { RouteInput } from "../../schemas/catalog";
import { compact, invalid, type KindDefinition, mergePatch, requireReferences } from "./definition";

export const routes: KindDefinition<RouteRule, RouteInput, Partial<RouteInput>> = {
  kind: "route",
  idField: "id",
  idOf: (r) => r.id,
  build: (input) =>
    compact({
      ...input,
      id: input.id ?? `rt_${randomUUID().replaceAll("-", "")}`,
      method: normaliseMethod(input.method),
    }),
  patch: (current, patch) =>
    mergePatch(current, patch.method ? { ...patch, method: normaliseMethod(patch.method) } : patch),
  async check(tx, doc) {
    if (!doc.public && !doc.featureKey && !doc.permissionKey && !(doc.scopes && doc.scopes.length > 0)) {
      invalid("", "A route rule is public or names what it requires: featureKey, permissionKey or scopes.");
    }
    await requireReferences(tx, [
      { kind: "feature", id: doc.featureKey, pointer: "/featureKey" },
      { kind: "permission", id: doc.permissionKey, pointer: "/permissionKey" },
    ]);
    // Compiling the table with this rule in it finds bad templates and duplicates of (method, path).
    const others = (await tx.list<RouteRule>("route")).map((r) => r.data).filter((r) => r.id !== doc.id);
    try {
      compileRouteTable([...others, doc].map((r) => ({ method: r.method, path: r.path, value: r })));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "DUPLICATE_ROUTE") {
        throw new TesseraError("DUPLICATE_KEY", `A rule for ${doc.method} ${doc.path} already exists.`, [
          { pointer: "/path", message: "duplicate method and path", code: "DUPLICATE_KEY" },
        ]);
      }
      invalid("/path", `Not a valid path template: ${(error as Error).message}`);
    }
  },
};

function normaliseMethod(method: string): string {
  const upper = method.toUpperCase();
  return upper === "ANY" ? "*" : upper;
}
