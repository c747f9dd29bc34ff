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

/**
 * Headers asking the upstream to treat a request as another method. The guard allowed the method the
 * request was sent with; an upstream that honours one of these (many frameworks do) would perform another
 * operation than the one allowed (a DELETE sent as an allowed GET), so the gateway refuses them.
 */
export const METHOD_OVERRIDES = ["x-http-method-override", "x-http-method", "x-method-override"] as const;

export function overridesMethod(headers: Record<string, string | string[] | undefined>): boolean {
  return METHOD_OVERRIDES.some((name) => headers[name] !== undefined);
}

/** Who called the gateway, for the X-Forwarded-* headers the upstream receives. */
export interface Caller {
  /** The caller's address: the peer's, or, when the gateway trusts a proxy before it, the one it forwarded. */
  ip: string;
  /** The connection's own peer address. */
  peer: string | undefined;
  protocol: string;
  host: string | undefined;
  /** The gateway sits behind a proxy it trusts: what that proxy forwarded is kept, and the peer added. */
  trustProxy: boolean;
}

const FORWARDED = new Set(["forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"]);

export function upstreamHeaders(
  headers: Record<string, string | string[] | undefined>,
  outcome: AccessOutcome | undefined,
  forwardCredentials: boolean,
  caller?: Caller,
): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith(IDENTITY_PREFIX) || HOP_BY_HOP.has(lower)) continue;
    if (!forwardCredentials && (lower === "authorization" || lower === "x-api-key")) continue;
    // A client that is not a trusted proxy could claim any address here: the upstream gets the gateway's.
    if (caller && !caller.trustProxy && FORWARDED.has(lower)) continue;
    out[name] = value;
  }
  if (caller) {
    const before = caller.trustProxy ? headers["x-forwarded-for"] : undefined;
    const chain = Array.isArray(before) ? before.join(", ") : before;
    const peer = caller.trustProxy ? caller.peer : caller.ip;
    if (peer !== undefined) out["x-forwarded-for"] = chain ? `${chain}, ${peer}` : peer;
    if (!caller.trustProxy) {
      out["x-forwarded-proto"] = caller.protocol;
      if (caller.host !== undefined) out["x-forwarded-host"] = caller.host;
    }
  }
  if (!outcome?.credential) return out;
  if (outcome.tenantId) out["x-tessera-tenant"] = outcome.tenantId;
  if (outcome.applicationId) out["x-tessera-application"] = outcome.applicationId;
  if (outcome.clientId) out["x-tessera-client"] = outcome.clientId;
  out["x-tessera-scopes"] = (outcome.scopes ?? []).join(" ");
  out["x-tessera-credential"] = outcome.credential;
  return out;
}
