import { randomUUID } from "node:crypto";
import { TesseraError } from "../errors";
import {
  type Store,
  StoreConflict,
  type TokenKind,
  type TokenRecord,
  type TokenRight,
  type WriteTransaction,
} from "../storage/store";
import { every, type Periodic, type PollOptions } from "./every";
import { displayOf, generateSecret, hashSecret, sameDigest } from "./secrets";
import { type SnapshotRegistry, writeThrough } from "./snapshots";

export const TOKEN_PREFIX: Record<TokenKind, string> = {
  management: "tsr_mgmt_",
  server: "tsr_sk_",
};

const DEFAULT_RIGHTS: Record<TokenKind, TokenRight[]> = {
  management: ["manage", "decide"],
  server: ["decide"],
};

/** A token as the API shows it, and its change records hold: without its hash (not a secret, but nobody needs it). */
export type TokenView = Omit<TokenRecord, "tokenHash">;

export function tokenView({ tokenHash: _, ...token }: TokenRecord): TokenView {
  return token;
}

/** Who made a change nobody's token made: the server itself (the bootstrap token, say). */
export const SYSTEM_ACTOR = "system";

export interface Principal {
  tokenId: string;
  environmentId: string;
  rights: readonly TokenRight[];
  /** When the token stops working, ms since the epoch; Infinity for never. */
  expires: number;
}

export type Verification =
  | { valid: true; principal: Principal }
  | { valid: false; code: "UNAUTHENTICATED" | "TOKEN_REVOKED" | "TOKEN_EXPIRED" };

/** How often tokens are re-read, so revocations and tokens made by another process (the CLI) arrive. */
const REFRESH_MS = 5_000;

const UNAUTHENTICATED: Verification = Object.freeze({ valid: false, code: "UNAUTHENTICATED" });
const REVOKED: Verification = Object.freeze({ valid: false, code: "TOKEN_REVOKED" });
const EXPIRED: Verification = Object.freeze({ valid: false, code: "TOKEN_EXPIRED" });

/**
 * A token as verification needs it, worked out once when the token is indexed rather than on every request:
 * its digest decoded for the constant-time compare, and the answer to give, with a frozen principal that
 * every request carrying the token shares. A revoked token's answer is REVOKED.
 */
interface Verified {
  record: TokenRecord;
  digest: Buffer;
  answer: Verification;
  /** When the token stops working, ms since the epoch; Infinity for never. */
  expires: number;
  /** The `writes` count when this process wrote the record; 0 when it came from a refresh. */
  writtenAt: number;
}

function verified(record: TokenRecord, writtenAt: number): Verified {
  const expires = record.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(record.expiresAt);
  const answer: Verification =
    record.revokedAt !== null
      ? REVOKED
      : Object.freeze({
          valid: true,
          principal: Object.freeze({
            tokenId: record.id,
            environmentId: record.environmentId,
            rights: Object.freeze([...record.rights]),
            expires,
          }),
        });
  return { record, digest: Buffer.from(record.tokenHash, "hex"), answer, expires, writtenAt };
}

/** Whether two indexes give the same answer for every secret. */
function sameAnswers(a: Map<string, Verified>, b: Map<string, Verified>): boolean {
  if (a.size !== b.size) return false;
  for (const [hash, x] of a) {
    const y = b.get(hash);
    if (!y) return false;
    const [p, q] = [x.record, y.record];
    if (p.id !== q.id || p.environmentId !== q.environmentId || p.revokedAt !== q.revokedAt) return false;
    if (x.expires !== y.expires) return false;
    if (p.rights.length !== q.rights.length || p.rights.some((r, i) => r !== q.rights[i])) return false;
  }
  return true;
}

/**
 * Management tokens and server keys. Secrets are shown once at creation and stored as SHA-256 hashes.
 * Verification reads an in-memory index of verified answers, so the decision path never waits on the
 * database and does no more than hash, look up and compare. The index is updated at once by this process's
 * writes (a revocation here takes effect on the next request) and re-read every few seconds for everyone
 * else's. Every creation and revocation is a change record of kind `token` in its environment, written in
 * the same transaction, and the environment's snapshot (when there is one) moves to the new revision.
 */
export class TokenService {
  private byHash = new Map<string, Verified>();
  private refresher: Periodic | undefined;
  /** Creations and revocations made by this process: a refresh must not undo one it did not see. */
  private writes = 0;
  /** Refreshes started, and the latest one applied: an older refresh finishing late is dropped. */
  private refreshes = 0;
  private refreshApplied = 0;
  private indexVersion = 0;

  /** Without `snapshots` (the CLI), writes still record their changes; running servers follow them. */
  constructor(
    private readonly store: Store,
    private readonly snapshots?: SnapshotRegistry,
  ) {}

  async start(options: PollOptions = {}): Promise<void> {
    await this.refresh();
    if (options.poll ?? true) this.refresher = every(REFRESH_MS, "token refresh", () => this.refresh());
  }

  /** Resolves once a refresh still going has finished. */
  async stop(): Promise<void> {
    await this.refresher?.stop();
  }

  /**
   * Changes whenever the answer verify gives for some secret may have changed (a token was created, revoked
   * or changed, here or elsewhere), and only then. An answer remembered along with the version it was
   * given at still stands while the version is the same.
   */
  get version(): number {
    return this.indexVersion;
  }

  async refresh(): Promise<void> {
    const started = this.writes;
    const sequence = ++this.refreshes;
    const tokens = await this.store.listTokens();
    if (sequence < this.refreshApplied) return;
    this.refreshApplied = sequence;
    const next = new Map(tokens.map((t) => [t.tokenHash, verified(t, 0)]));
    // A write of ours that committed after the list was read is not in it: keep ours. (A revocation is
    // for good, so a list that predates it must never bring the token back to life.)
    for (const [hash, entry] of this.byHash) {
      if (entry.writtenAt > started) next.set(hash, entry);
      else if (entry.record.revokedAt !== null && next.get(hash)?.record.revokedAt === null) {
        next.set(hash, entry);
      }
    }
    if (!sameAnswers(this.byHash, next)) this.indexVersion++;
    this.byHash = next;
  }

  /** `actor`: the creator's token id, or `cli`, `system`. */
  async create(
    environmentId: string,
    input: {
      name: string;
      kind?: TokenKind | undefined;
      rights?: TokenRight[] | undefined;
      /** ISO 8601, in the future; never, when absent. */
      expiresAt?: string | undefined;
    },
    actor = SYSTEM_ACTOR,
  ): Promise<{ token: TokenRecord; secret: string }> {
    const kind = input.kind ?? "management";
    const expiresAt = expiryOf(input.expiresAt);
    const rights = [...new Set(input.rights ?? DEFAULT_RIGHTS[kind])];
    if (kind === "server" && rights.some((r) => r !== "decide")) {
      throw new TesseraError("VALIDATION_FAILED", "A server key may only make decisions.", [
        { pointer: "/rights", message: "server keys carry only the decide right" },
      ]);
    }
    const secret = generateSecret(TOKEN_PREFIX[kind]);
    const token = await this.write(environmentId, actor, async (tx) => {
      const created = await tx.createToken({
        id: `tok_${randomUUID().replaceAll("-", "")}`,
        name: input.name,
        kind,
        rights,
        tokenHash: hashSecret(secret),
        display: displayOf(secret, TOKEN_PREFIX[kind]),
        expiresAt,
      });
      tx.record({
        kind: "token",
        resourceId: created.id,
        action: "create",
        before: undefined,
        after: tokenView(created),
      });
      return created;
    });
    this.byHash.set(token.tokenHash, verified(token, ++this.writes));
    this.indexVersion++;
    return { token, secret };
  }

  list(environmentId: string): Promise<TokenRecord[]> {
    return this.store.listTokens(environmentId);
  }

  /** Idempotent: revoking a revoked token changes (and records) nothing. */
  async revoke(environmentId: string, id: string, actor = SYSTEM_ACTOR): Promise<TokenRecord> {
    const token = await this.write(environmentId, actor, async (tx) => {
      const before = await tx.getToken(id);
      if (!before) throw new TesseraError("NOT_FOUND", `No token "${id}" exists in this environment.`);
      const after = (await tx.revokeToken(id))!;
      if (before.revokedAt === null) {
        tx.record({
          kind: "token",
          resourceId: id,
          action: "update",
          before: tokenView(before),
          after: tokenView(after),
        });
      }
      return after;
    });
    this.byHash.set(token.tokenHash, verified(token, ++this.writes));
    this.indexVersion++;
    return token;
  }

  /** A store write whose change records the environment's snapshot then holds, as a catalog write's. */
  private async write<T>(
    environmentId: string,
    actor: string,
    work: (tx: WriteTransaction) => Promise<T>,
  ): Promise<T> {
    try {
      return await writeThrough(this.store, this.snapshots, environmentId, actor, work);
    } catch (error) {
      if (error instanceof StoreConflict) throw new TesseraError(error.code, error.message);
      throw error;
    }
  }

  /** Hash, look up, compare in constant time: the answer itself was worked out when the token was indexed. */
  verify(secret: string): Verification {
    const hash = hashSecret(secret);
    const entry = this.byHash.get(hash);
    // The map lookup finds the candidate; the constant-time compare is what accepts it.
    if (!entry || !sameDigest(entry.digest, hash)) return UNAUTHENTICATED;
    if (entry.answer.valid && isExpired(entry.expires)) return EXPIRED;
    return entry.answer;
  }
}

/** Whether a token that stops working at `expires` (ms; Infinity for never) has stopped. */
export function isExpired(expires: number): boolean {
  return expires !== Number.POSITIVE_INFINITY && Date.now() >= expires;
}

/** A requested expiry as stored: a valid instant in the future, in ISO 8601; null for never. */
function expiryOf(expiresAt: string | undefined): string | null {
  if (expiresAt === undefined) return null;
  const ms = Date.parse(expiresAt);
  // The API's schema checks the format; the CLI passes what it was given. Past the year 9999 in UTC is
  // past what the database stores.
  if (Number.isNaN(ms) || new Date(ms).getUTCFullYear() > 9999) {
    throw new TesseraError("VALIDATION_FAILED", "expiresAt is not a date and time.", [
      { pointer: "/expiresAt", message: "an ISO 8601 date-time, such as 2027-01-31T00:00:00Z" },
    ]);
  }
  if (ms <= Date.now()) {
    throw new TesseraError("VALIDATION_FAILED", "A token cannot be made already expired.", [
      { pointer: "/expiresAt", message: "must be in the future" },
    ]);
  }
  return new Date(ms).toISOString();
}
