/**
 * npx tsx bench/access.ts [--quick]   (or: import { run } from "./access"; await run({ quick }))
 *
 * What enforcing API access costs:
 *  1. the access guard in process, per request, with a valid token: the first call verifies it (ES256 with
 *     WebCrypto), every repeat is answered from the verified-token cache. Target: ≤ 5 µs per cached check.
 *  2. the gateway's throughput as a share of a bare proxy (@fastify/reply-from, no checks) in front of the
 *     same upstream, each a child process driven by autocannon from this one, alternately, in the same run.
 */
import type { ChildProcess } from "node:child_process";
import { pathToFileURL } from "node:url";
import { createAccessGuard } from "@tessera/sdk/middleware";
import autocannon from "autocannon";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { SERVER_NODE_FLAGS } from "../packages/server/src/node-flags";
import { benchApi, ISSUER } from "./access-fixture";
import type { Ready } from "./access-server";
import { benchFile, forkTs, heading, int, median, nextMessage, percent, rate, stop, table } from "./harness";

export const TARGET_CACHED_NS = 5_000;

export interface AccessOptions {
  quick?: boolean;
}

export interface AccessSummary {
  /** Per check, nanoseconds: the median of the rounds. */
  cachedNs: number;
  uncachedNs: number;
  bare: number;
  gateway: number;
  /** gateway ÷ bare requests per second. */
  share: number;
  cachedTargetMet: boolean;
}

async function signerAndJwk() {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "bench", alg: "ES256", use: "sig" };
  const sign = (scope = "payments:read", jti = "1") => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      client_id: "bench-app",
      scope,
      tenant_id: "acme",
      application_id: "bench-app",
      env: "dev",
    })
      .setProtectedHeader({ alg: "ES256", kid: "bench", typ: "at+jwt" })
      .setIssuer(ISSUER)
      .setSubject("bench-app")
      .setAudience("payments@1")
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .setJti(jti)
      .sign(privateKey);
  };
  return { jwk, sign };
}

/** Nanoseconds per call of `op`, the median of `rounds` rounds of `n` calls each. */
async function perCall(op: (i: number) => Promise<boolean>, n: number, rounds: number): Promise<number> {
  for (let i = 0; i < Math.min(n, 20_000); i++) await op(i);
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let ok = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) if (await op(i)) ok++;
    const elapsed = Number(process.hrtime.bigint() - start);
    if (ok !== n) throw new Error(`only ${ok} of ${n} checks were allowed`);
    results.push(elapsed / n);
  }
  return median(results);
}

async function guardCost(quick: boolean) {
  const { jwk, sign } = await signerAndJwk();
  const headers = { authorization: `Bearer ${await sign()}` };
  const guard = createAccessGuard({ api: benchApi, issuer: ISSUER, jwks: { keys: [jwk] } });
  const cachedNs = await perCall(
    async () => (await guard("GET", "/v1/payments/p_42?expand=customer", headers)).allowed,
    quick ? 100_000 : 500_000,
    5,
  );

  // A fresh token each call: the signature check every first request of a token pays.
  const fresh = await Promise.all(
    Array.from({ length: quick ? 1_000 : 4_000 }, (_, i) => sign("payments:read", String(i))),
  );
  const cold = createAccessGuard({ api: benchApi, issuer: ISSUER, jwks: { keys: [jwk] }, tokenCacheSize: 0 });
  const uncachedNs = await perCall(
    async (i) => (await cold("GET", "/v1/payments", { authorization: `Bearer ${fresh[i]}` })).allowed,
    fresh.length,
    3,
  );
  return { cachedNs, uncachedNs, jwk, sign };
}

interface Measured {
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function drive(url: string, headers: Record<string, string>, seconds: number): Promise<Measured> {
  const result = await autocannon({ url, headers, connections: 50, pipelining: 1, duration: seconds });
  return {
    perSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
  };
}

export async function run(options: AccessOptions = {}): Promise<AccessSummary> {
  const quick = options.quick ?? false;
  heading("API access: the guard in process, and the gateway against a bare proxy");

  const { cachedNs, uncachedNs, jwk, sign } = await guardCost(quick);
  console.log(
    table(
      ["guard, valid token", "per check", "checks/s"],
      [
        ["cached (repeat request)", `${(cachedNs / 1000).toFixed(2)} µs`, rate(1e9 / cachedNs)],
        ["first use (ES256 verify)", `${(uncachedNs / 1000).toFixed(1)} µs`, rate(1e9 / uncachedNs)],
      ],
    ),
  );
  console.log(
    `  target ≤ ${TARGET_CACHED_NS / 1000} µs per cached check: ${cachedNs <= TARGET_CACHED_NS ? "met" : "NOT met"}`,
  );

  const seconds = quick ? 3 : 8;
  const rounds = quick ? 1 : 2;
  const children: ChildProcess[] = [];
  try {
    const isReady = (m: unknown): m is Ready => (m as Ready | undefined)?.type === "ready";
    const upstreamChild = forkTs(benchFile("./access-server.ts"), ["upstream"]);
    children.push(upstreamChild);
    const upstream = `http://127.0.0.1:${(await nextMessage(upstreamChild, isReady)).port}`;
    // The gateway as `tessera gateway` runs it, and the bare proxy likewise (node-flags.ts).
    const bareChild = forkTs(benchFile("./access-server.ts"), ["bare", upstream], SERVER_NODE_FLAGS);
    const gatewayChild = forkTs(
      benchFile("./access-server.ts"),
      ["gateway", upstream, JSON.stringify(jwk)],
      SERVER_NODE_FLAGS,
    );
    children.push(bareChild, gatewayChild);
    const [bare, gateway] = await Promise.all([
      nextMessage(bareChild, isReady),
      nextMessage(gatewayChild, isReady),
    ]);

    const headers = { authorization: `Bearer ${await sign()}` };
    const path = "/v1/payments/p_42";
    const bareUrl = `http://127.0.0.1:${bare.port}${path}`;
    const gatewayUrl = `http://127.0.0.1:${gateway.port}${path}`;
    console.log(
      `\nautocannon: 50 connections, pipelining 1, GET ${path} with a bearer token; 1 s warm-up, then ` +
        `${seconds} s per server, ${rounds} alternating round(s). Upstream, bare proxy and gateway are child processes.`,
    );
    await drive(bareUrl, headers, 1);
    await drive(gatewayUrl, headers, 1);
    const bareRuns: Measured[] = [];
    const gatewayRuns: Measured[] = [];
    for (let r = 0; r < rounds; r++) {
      bareRuns.push(await drive(bareUrl, headers, seconds));
      gatewayRuns.push(await drive(gatewayUrl, headers, seconds));
    }
    const pick = (runs: Measured[]) => runs.reduce((a, b) => (a.perSecond >= b.perSecond ? a : b));
    const b = pick(bareRuns);
    const g = pick(gatewayRuns);
    const share = g.perSecond / b.perSecond;
    console.log(
      table(
        ["server", "req/s", "p50 ms", "p99 ms", "non-2xx/errors"],
        [
          ["bare proxy (no checks)", int(b.perSecond), String(b.p50), String(b.p99), int(b.non2xx)],
          ["tessera gateway", int(g.perSecond), String(g.p50), String(g.p99), int(g.non2xx)],
        ],
      ),
    );
    console.log(
      `  gateway / bare proxy: ${percent(share)} of the bare proxy's throughput (best round of each)`,
    );
    if (b.non2xx > 0 || g.non2xx > 0)
      console.log("  warning: some requests failed; the figures above are suspect");
    return {
      cachedNs,
      uncachedNs,
      bare: b.perSecond,
      gateway: g.perSecond,
      share,
      cachedTargetMet: cachedNs <= TARGET_CACHED_NS,
    };
  } finally {
    await Promise.all(children.map((child) => stop(child)));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  run({ quick: process.argv.includes("--quick") }).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
