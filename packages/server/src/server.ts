import type { FastifyInstance } from "fastify";
import type { Config } from "./config";
import { buildApp } from "./http/app";
import type { Services } from "./http/services";
import { CatalogService } from "./services/catalog/catalog-service";
import { ChangeService } from "./services/changes";
import { DecisionService } from "./services/decisions";
import { type Bootstrap, EnvironmentService } from "./services/environments";
import { SnapshotRegistry } from "./services/snapshots";
import { TokenService } from "./services/tokens";
import { KyselyStore } from "./storage/kysely-store";
import type { Store } from "./storage/store";

export interface Tessera {
  app: FastifyInstance;
  store: Store;
  services: Services;
  /** Set on the very first start only: the environment and the token to print once. */
  bootstrap: Bootstrap | undefined;
  close(): Promise<void>;
}

export function createServices(store: Store): Services & { snapshots: SnapshotRegistry } {
  const snapshots = new SnapshotRegistry(store);
  const tokens = new TokenService(store);
  return {
    snapshots,
    tokens,
    catalog: new CatalogService(store, snapshots),
    decisions: new DecisionService(snapshots),
    environments: new EnvironmentService(store, snapshots, tokens),
    changes: new ChangeService(store),
  };
}

/** Opens the store (migrating it), bootstraps a first start, loads every snapshot, and builds the app. */
export async function createTessera(
  config: Pick<Config, "databaseUrl" | "dataDir" | "bodyLimit"> & {
    logger?: boolean | object;
    store?: Store;
  },
): Promise<Tessera> {
  const store =
    config.store ?? (await KyselyStore.open({ url: config.databaseUrl, dataDir: config.dataDir }));
  const services = createServices(store);
  await services.tokens.start();
  const bootstrap = await services.environments.bootstrap();
  await services.environments.warm();
  const app = await buildApp({ services, logger: config.logger ?? false, bodyLimit: config.bodyLimit });
  return {
    app,
    store,
    services,
    bootstrap,
    async close() {
      await app.close();
      services.tokens.stop();
      services.snapshots.close();
      await store.close();
    },
  };
}
