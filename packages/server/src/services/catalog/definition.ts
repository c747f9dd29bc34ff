import type { ResourceKind } from "@tessera/sdk/core";
import { type FieldError, TesseraError } from "../../errors";
import type { WriteTransaction } from "../../storage/store";

/**
 * What the generic catalog service needs to know about one kind of resource. Each kind lives in a file of
 * its own; the service does the rest (transactions, change records, snapshot updates, pagination).
 */
export interface KindDefinition<T extends object = object, Create = unknown, Patch = unknown> {
  kind: ResourceKind;
  /** The field that identifies the resource in URLs: `key` for catalog items, `id` for subjects. */
  idField: string;
  idOf(doc: T): string;
  /** Turns a validated create body into the stored document: defaults, generated ids. */
  build(input: Create, now: Date): T;
  /** Applies a validated PATCH body. */
  patch(current: T, patch: Patch, now: Date): T;
  /** Checks references and invariants inside the write transaction; throws a TesseraError. */
  check(tx: WriteTransaction, doc: T, before: T | undefined): Promise<void>;
  /** Refuses a delete while something still refers to the resource, or removes its dependents. */
  beforeDelete?(tx: WriteTransaction, doc: T): Promise<void>;
}

export interface Reference {
  kind: ResourceKind;
  id: string | null | undefined;
  pointer: string;
}

/** Fails with every missing reference at once, so a user fixes them in one go. */
export async function requireReferences(tx: WriteTransaction, references: Reference[]): Promise<void> {
  const errors: FieldError[] = [];
  for (const ref of references) {
    if (ref.id === undefined || ref.id === null) continue;
    if (!(await tx.get(ref.kind, ref.id))) {
      errors.push({
        pointer: ref.pointer,
        message: `No ${ref.kind} "${ref.id}" exists.`,
        code: "REFERENCE_NOT_FOUND",
      });
    }
  }
  if (errors.length > 0) {
    throw new TesseraError("REFERENCE_NOT_FOUND", errors.map((e) => e.message).join(" "), errors);
  }
}

/** Fails a delete while `users` is not empty, naming a few of them. */
export function refuseIfUsed(kind: ResourceKind, id: string, users: { kind: string; id: string }[]): void {
  if (users.length === 0) return;
  const named = users
    .slice(0, 5)
    .map((u) => `${u.kind} "${u.id}"`)
    .join(", ");
  const more = users.length > 5 ? ` and ${users.length - 5} more` : "";
  throw new TesseraError(
    "RESOURCE_IN_USE",
    `The ${kind} "${id}" is still used by ${named}${more}. Remove those references first${
      kind === "feature" || kind === "plan" ? `, or archive the ${kind}` : ""
    }.`,
  );
}

export function invalid(
  pointer: string,
  message: string,
  code: "VALIDATION_FAILED" | "TYPE_MISMATCH" = "VALIDATION_FAILED",
): never {
  throw new TesseraError(code, message, [{ pointer, message, code }]);
}

/** Drops keys whose value is undefined, so stored documents have no `"x": undefined` noise. */
export function compact<T extends object>(doc: T): T {
  return Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== undefined)) as T;
}

export function mergePatch<T extends object>(current: T, patch: object): T {
  return compact({ ...current, ...patch } as T);
}
