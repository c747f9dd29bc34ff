import { randomUUID } from "node:crypto";
import { TesseraError } from "../errors";
import type { Store, TokenKind, TokenRecord, TokenRight } from "../storage/store";
import { displayOf, generateSecret, hashSecret, sameHash } from "./secrets";

export const TOKEN_PREFIX: Record<TokenKind, string> = {
  management: "tsr_mgmt_",
  server: "tsr_sk_",
};

const DEFAULT_RIGHTS: Record<TokenKind, TokenRight[]> = {
  management: ["manage", "decide"],
  server: ["decide"],
};

export interface Principal {
  tokenId: string;
  environmentId: string;
  rights: readonly TokenRight[];
}

export type Verification =
  | { valid: true; principal: Principal }
  | { valid: false; code: "UNAUTHENTICATED" | "TOKEN_REVOKED" };

/** How often tokens are re-read, so revocations and tokens made by another process (the CLI) arrive. */
const REFRESH_MS = 5_000;

/**
 * Management tokens and server keys. Secrets are shown once at creation and stored as SHA-256 hashes.
 * Verification reads an in-memory index, so the decision path never waits on the database; the index is
 * updated at once by this process's writes and re-read every few seconds for everyone else's.
 */
export class TokenService {
  private byHash = new Map<string, TokenRecord>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly store: Store) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => {}), REFRESH_MS);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    const tokens = await this.store.listTokens();
    this.byHash = new Map(tokens.map((t) => [t.tokenHash, t]));
  }

  async create(
    environmentId: string,
    input: { name: string; kind?: TokenKind | undefined; rights?: TokenRight[] | undefined },
  ): Promise<{ token: TokenRecord; secret: string }> {
    const kind = input.kind ?? "management";
    const rights = [...new Set(input.rights ?? DEFAULT_RIGHTS[kind])];
    if (kind === "server" && rights.some((r) => r !== "decide")) {
      throw new TesseraError("VALIDATION_FAILED", "A server key may only make decisions.", [
        { pointer: "/rights", message: "server keys carry only the decide right" },
      ]);
    }
    const secret = generateSecret(TOKEN_PREFIX[kind]);
    const token = await this.store.createToken({
      id: `tok_${randomUUID().replaceAll("-", "")}`,
      environmentId,
      name: input.name,
      kind,
      rights,
      tokenHash: hashSecret(secret),
      display: displayOf(secret, TOKEN_PREFIX[kind]),
    });
    this.byHash.set(token.tokenHash, token);
    return { token, secret };
  }

  list(environmentId: string): Promise<TokenRecord[]> {
    return this.store.listTokens(environmentId);
  }

  async revoke(environmentId: string, id: string): Promise<TokenRecord> {
    const token = await this.store.revokeToken(environmentId, id);
    if (!token) throw new TesseraError("NOT_FOUND", `No token "${id}" exists in this environment.`);
    this.byHash.set(token.tokenHash, token);
    return token;
  }

  verify(secret: string): Verification {
    const hash = hashSecret(secret);
    const token = this.byHash.get(hash);
    // The map lookup finds the candidate; the constant-time compare is what accepts it.
    if (!token || !sameHash(token.tokenHash, hash)) return { valid: false, code: "UNAUTHENTICATED" };
    if (token.revokedAt !== null) return { valid: false, code: "TOKEN_REVOKED" };
    return {
      valid: true,
      principal: { tokenId: token.id, environmentId: token.environmentId, rights: token.rights },
    };
  }
}
