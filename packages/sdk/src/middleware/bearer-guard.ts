import {
  type AccessGuard,
  type AccessGuardOptions,
  type AccessOutcome,
  createAccessGuard,
} from "../access/guard";
import { DENIED_MESSAGE } from "./guard";

/** A guard built once and shared by several routes or adapters, or the options to build one. */
export type AccessGuardSource = AccessGuard | AccessGuardOptions;

export function accessGuardOf(source: AccessGuardSource): AccessGuard {
  return typeof source === "function" ? source : createAccessGuard(source);
}

/** The refusal body, the denial body of DESIGN.md with the reason code beside it. */
export interface AccessDeniedBody {
  error: string;
  message: string;
  reason: string;
  /** For insufficient_scope: the scopes that would have been enough (the nearest alternative). */
  requiredScopes?: readonly string[];
}

export interface AccessRefusal {
  status: number;
  headers: Record<string, string>;
  body: AccessDeniedBody;
}

/** What a refused request gets: status, WWW-Authenticate (RFC 6750 §3), and a JSON body. */
export function refusalOf(outcome: AccessOutcome): AccessRefusal {
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  };
  if (outcome.wwwAuthenticate) headers["www-authenticate"] = outcome.wwwAuthenticate;
  const body: AccessDeniedBody = {
    error: outcome.error ?? "access_denied",
    message: outcome.message ?? DENIED_MESSAGE,
    reason: outcome.reason,
  };
  if (outcome.error === "insufficient_scope" && outcome.requiredScopes)
    body.requiredScopes = outcome.requiredScopes;
  return { status: outcome.allowed ? 403 : outcome.status, headers, body };
}

/** What a handler behind the guard may read: who called, with what, and what the operation needed. */
export type AccessGrant = Omit<AccessOutcome, "error" | "message" | "wwwAuthenticate" | "status">;

export function grantOf(outcome: AccessOutcome): AccessGrant {
  const { error: _e, message: _m, wwwAuthenticate: _w, status: _s, ...grant } = outcome;
  return grant;
}
