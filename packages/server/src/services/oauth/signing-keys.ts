import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
} from "jose";
import type { SigningKeyRecord } from "../../storage/credential-store";
import type { Store } from "../../storage/store";
import { MAX_TOKEN_TTL_SECONDS } from "../credentials/applications";
import { every, type Periodic, type PollOptions } from "../every";

export const SIGNING_ALG = "ES256";
const REFRESH_MS = 5_000;

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

  stop(): void {
    this.refresher?.stop();
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

  /** Makes a new key active; the previous one stays in the JWKS for the longest token lifetime. */
  async rotate(at = new Date()): Promise<{ kid: string; previous: string | undefined }> {
    const previous = this.keys.find((k) => k.status === "active")?.kid;
    const key = await newKey();
    await this.store.credentials.addSigningKey(key, at);
    await this.refresh();
    return { kid: key.kid, previous };
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
