import type { relations } from "@tessera/sdk/core";
import { type ErrorCode, type FieldError, TesseraError } from "../../errors";

const STATUS_CODE: Record<relations.RelationErrorCode, ErrorCode> = {
  INVALID_INPUT: "VALIDATION_FAILED",
  INVALID_MODEL: "INVALID_MODEL",
  INVALID_TUPLE: "INVALID_TUPLE",
  UNKNOWN_TYPE: "UNKNOWN_TYPE",
  UNKNOWN_RELATION: "UNKNOWN_RELATION",
  CONDITION_ERROR: "CONDITION_ERROR",
  RELATION_DEPTH_EXCEEDED: "RELATION_DEPTH_EXCEEDED",
  INVALID_CURSOR: "INVALID_CURSOR",
};

/** `writes[0].user` (the engine's path) → `/writes/0/user` (a JSON pointer into the request), under `prefix`. */
export function toPointer(path: string, prefix = ""): string {
  const parts = path
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .filter((p) => p !== "");
  return `${prefix}/${parts.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;
}

export function toFieldErrors(issues: readonly relations.RelationIssue[], prefix = ""): FieldError[] {
  return issues.map((i) => ({ pointer: toPointer(i.path, prefix), message: i.message, code: i.code }));
}

/** The engine's problems as one API error: the first one's code decides the status, each is listed. */
export function relationError(
  issues: readonly relations.RelationIssue[],
  detail: string,
  prefix = "",
): TesseraError {
  const code = STATUS_CODE[issues[0]?.code ?? "INVALID_INPUT"];
  const summary = issues.length === 1 ? `${detail}: ${issues[0]!.message}` : detail;
  return new TesseraError(code, summary, toFieldErrors(issues, prefix));
}
