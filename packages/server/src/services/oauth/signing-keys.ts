import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
} from "jose";
import type { SigningKeyRecord } from "../../storage/credential-store";
import { type Store, StoreConflict, type WriteResult } from "../../storage/store";
import { MAX_TOKEN_TTL_SECONDS } from "../credentials/applications";
import { every, type Periodic, type PollOptions } from "../every";

export const SIGNING_ALG = "ES256";
const REFRESH_MS = 5_000;
/** Tries at making a rotation's key active while other rotations win the race (see rotate). */
const ROTATE_ATTEMPTS = 5;

/** A signing key as GET /v1/oauth/keys shows it, and its change records hold: never the private key. */
export interface SigningKeyView {
  kid: string;
  status: SigningKeyRecord["status"];
  createdAt: string;
  retiredAt: string | null;
}

export function signingKeyView(key: SigningKeyRecord): SigningKeyView {
  return { kid: key.kid, status: key.status, createdAt: key.createdAt, retiredAt: key.retiredAt };
}

export interface Signer {
  kid: string;
  key: CryptoKey;
}

/**
 * The issuer's ES256 signing keys. One is active and signs; a rotation makes a new one active and keeps the
 * previous one published (retiring) until every token it could have signed has expired, which is at most
 * MAX_TOKEN_TTL_SECONDS after the rotation; then it is retired and its private key erased.
 *
 * Private keys are stored unencrypted in the database: whoever can read the database can mint tokens.
 *
 * The keys are global, not an environment's, but a rotation is someone's act: it is recorded as change
 * records of kind `signingKey` (the new key created, the previous one updated to retiring) in the
 * environment of whoever rotated, in the rotation's transaction. The first key, made at first start, and
 * retirements, which only follow the clock, are not recorded.
 */
export class SigningKeyService {
  private keys: SigningKeyRecord[] = [];
  private signer: Signer | undefined;
  private refresher: Periodic | undefined;

  constructor(private readonly store: Store) {}

  /** Loads the keys, creating the first one if there is none. */
  async start(options: PollOptions = {}): Promise<void> {
    await this.refresh();
    if (!this.keys.some((k) => k.status === "active")) {
      await this.store.credentials.addSigningKey(await newKey(), new Date(), true);
      await this.refresh();
    }
    if (options.poll ?? true) {
      this.refresher = every(REFRESH_MS, "signing key refresh", () => this.refresh());
    }
  }

  /** Resolves once a refresh still going has finished. */
  async stop(): Promise<void> {
    await this.refresher?.stop();
  }

  /** Re-reads the keys (another process may have rotated) and retires those past their overlap. */
  async refresh(now = new Date()): Promise<void> {
    await this.store.credentials.retireSigningKeys(new Date(now.getTime() - MAX_TOKEN_TTL_SECONDS * 1000));
    const keys = await this.store.credentials.listSigningKeys();
    const active = keys.find((k) => k.status === "active");
    if (active?.privateJwk && active.kid !== this.signer?.kid) {
      this.signer = {
        kid: active.kid,
        key: (await importJWK(active.privateJwk as JWK, SIGNING_ALG)) as CryptoKey,
      };
    }
    this.keys = keys;
  }

  /**
   * Makes a new key active; the previous one stays in the JWKS for the longest token lifetime. Recorded in
   * `environmentId`'s changes, by `actor`: the caller applies the result to the environment's snapshot.
   */
  async rotate(
    environmentId: string,
    actor: string,
    at = new Date(),
  ): Promise<WriteResult<{ kid: string; previous: string | undefined }>> {
    const key = await newKey();
    // Rotations from two environments do not wait for each other's writes, and the database allows one
    // active key: the one that loses the race tries again, and its key follows the winner's.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.rotateTo(key, environmentId, actor, at);
      } catch (error) {
        if (!(error instanceof StoreConflict) || attempt >= ROTATE_ATTEMPTS) throw error;
      }
    }
  }

  private async rotateTo(
    key: Pick<SigningKeyRecord, "kid" | "publicJwk" | "privateJwk">,
    environmentId: string,
    actor: string,
    at: Date,
  ): Promise<WriteResult<{ kid: string; previous: string | undefined }>> {
    const result = await this.store.write(environmentId, actor, async (tx) => {
      const before = await tx.credentials.listSigningKeys();
      await tx.credentials.addSigningKey(key, at);
      const after = await tx.credentials.listSigningKeys();
      const was = new Map(before.map((k) => [k.kid, k]));
      for (const k of after) {
        const old = was.get(k.kid);
        if (old && old.status === k.status && old.retiredAt === k.retiredAt) continue;
        tx.record({
          kind: "signingKey",
          resourceId: k.kid,
          action: old ? "update" : "create",
          before: old && signingKeyView(old),
          after: signingKeyView(k),
        });
      }
      return { kid: key.kid, previous: before.find((k) => k.status === "active")?.kid };
    });
    await this.refresh();
    return result;
  }

  async currentSigner(): Promise<Signer> {
    if (!this.signer) await this.refresh();
    if (!this.signer) throw new Error("No active signing key: the service has not started.");
    return this.signer;
  }

  /** The public keys a verifier needs at `at`: the active one and those whose tokens may still be live. */
  jwks(at = new Date()): JSONWebKeySet {
    const overlap = MAX_TOKEN_TTL_SECONDS * 1000;
    const published = this.keys.filter(
      (k) =>
        k.status === "active" ||
        (k.status === "retiring" && k.retiredAt !== null && Date.parse(k.retiredAt) + overlap > at.getTime()),
    );
    return {
      keys: published.map((k) => ({ ...(k.publicJwk as JWK), kid: k.kid, alg: SIGNING_ALG, use: "sig" })),
    };
  }

  /** Without private keys. */
  list(): SigningKeyRecord[] {
    return this.keys.map((k) => ({ ...k, privateJwk: null }));
  }
}

async function newKey(): Promise<Pick<SigningKeyRecord, "kid" | "publicJwk" | "privateJwk">> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const publicJwk = { kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x, y: privateJwk.y } as JWK;
  const kid = await calculateJwkThumbprint(publicJwk, "sha256");
  return {
    kid,
    publicJwk: publicJwk as Record<string, unknown>,
    privateJwk: privateJwk as Record<string, unknown>,
  };
}
