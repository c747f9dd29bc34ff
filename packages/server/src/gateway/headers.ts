import type { AccessOutcome } from "@tessera/sdk/middleware";

/** Headers the gateway sets for the upstream; whatever the client sent under this prefix is dropped first. */
export const IDENTITY_PREFIX = "x-tessera-";

/**
 * The headers the upstream receives: the client's, minus anything claiming to be the gateway's identity
 * headers, minus the credential unless told otherwise, plus who the caller is. The upstream trusts these
 * only because the gateway is its one way in.
 */
/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) and `expect`: they concern the client's connection to the gateway,
 * not the gateway's to the upstream, and the HTTP client refuses several of them outright (a client's
 * `Expect: 100-continue`, which curl adds to bodies over 1 MB, was a 500). `proxy-authorization` is a
 * credential for the gateway, never the upstream's.
 */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "upgrade",
  "expect",
]);

export function upstreamHeaders(
  headers: Record<string, string | string[] | undefined>,
  outcome: AccessOutcome | undefined,
  forwardCredentials: boolean,
): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith(IDENTITY_PREFIX) || HOP_BY_HOP.has(lower)) continue;
    if (!forwardCredentials && (lower === "authorization" || lower === "x-api-key")) continue;
    out[name] = value;
  }
  if (!outcome?.credential) return out;
  if (outcome.tenantId) out["x-tessera-tenant"] = outcome.tenantId;
  if (outcome.applicationId) out["x-tessera-application"] = outcome.applicationId;
  if (outcome.clientId) out["x-tessera-client"] = outcome.clientId;
  out["x-tessera-scopes"] = (outcome.scopes ?? []).join(" ");
  out["x-tessera-credential"] = outcome.credential;
  return out;
}
