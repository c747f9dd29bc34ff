import { randomUUID } from "node:crypto";
import { TesseraError } from "../errors";
import { type Environment, type Store, StoreConflict } from "../storage/store";
import { reportBackgroundFailure } from "./every";
import type { SnapshotRegistry } from "./snapshots";
import type { TokenService } from "./tokens";

export interface Bootstrap {
  environment: Environment;
  /** Shown once: only its hash is stored. */
  token: string;
}

export class EnvironmentService {
  constructor(
    private readonly store: Store,
    private readonly snapshots: SnapshotRegistry,
    private readonly tokens: TokenService,
  ) {}

  list(): Promise<Environment[]> {
    return this.store.listEnvironments();
  }

  async get(idOrKey: string): Promise<Environment> {
    const env = await this.store.getEnvironment(idOrKey);
    if (!env) throw new TesseraError("NOT_FOUND", `No environment "${idOrKey}" exists.`);
    return env;
  }

  async create(input: { key: string; name?: string | undefined }): Promise<Environment> {
    try {
      const env = await this.store.createEnvironment({
        id: `env_${randomUUID().replaceAll("-", "")}`,
        key: input.key,
        name: input.name ?? input.key,
      });
      await this.snapshots.get(env.id);
      return env;
    } catch (error) {
      if (error instanceof StoreConflict) throw new TesseraError("DUPLICATE_KEY", error.message);
      throw error;
    }
  }

  /**
   * On first start, creates `development` and `production` and a management token for `development` that
   * may also administer environments and tokens. Later starts change nothing and return undefined.
   */
  async bootstrap(): Promise<Bootstrap | undefined> {
    if ((await this.store.listEnvironments()).length > 0) return undefined;
    const environment = await this.create({ key: "development", name: "Development" });
    await this.create({ key: "production", name: "Production" });
    const { secret } = await this.tokens.create(environment.id, {
      name: "bootstrap",
      kind: "management",
      rights: ["admin", "manage", "decide"],
    });
    return { environment, token: secret };
  }

  /**
   * Loads every environment's snapshot, so the first decision does not wait for a load. One that cannot
   * load (say a stored value its compile refuses) is reported and left to load on first use, where its
   * callers see the error: the other environments, and the server, still start.
   */
  async warm(): Promise<void> {
    for (const env of await this.store.listEnvironments()) {
      await this.snapshots
        .get(env.id)
        .catch((error: unknown) => reportBackgroundFailure(`loading environment "${env.key}"`, error));
    }
  }
}
