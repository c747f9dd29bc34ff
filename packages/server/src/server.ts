import type { FastifyInstance } from "fastify";
import type { Config } from "./config";
import { buildApp } from "./http/app";
import type { Services } from "./http/services";
import { ApiService } from "./services/apis/api-service";
import { CatalogService } from "./services/catalog/catalog-service";
import { RedisChangeNotifier } from "./services/change-notifier";
import { ChangeService } from "./services/changes";
import { ApiKeyService } from "./services/credentials/api-keys";
import { ApplicationService } from "./services/credentials/applications";
import { DecisionService } from "./services/decisions";
import { type Bootstrap, EnvironmentService } from "./services/environments";
import { OAuthService } from "./services/oauth/oauth-service";
import { SigningKeyService } from "./services/oauth/signing-keys";
import { RelationshipModelService } from "./services/relationships/model-service";
import { RelationIndex } from "./services/relationships/relation-index";
import { RelationshipService } from "./services/relationships/relationship-service";
import { type ChangeNotifier, SnapshotRegistry } from "./services/snapshots";
import { TokenService } from "./services/tokens";
import { KyselyStore } from "./storage/kysely-store";
import type { Store } from "./storage/store";
import { holdTickShape } from "./tick-shape";

export interface Tessera {
  app: FastifyInstance;
  store: Store;
  services: Services;
  /** Set on the very first start only: the environment and the token to print once. */
  bootstrap: Bootstrap | undefined;
  close(): Promise<void>;
}

export function createServices(
  store: Store,
  options: { publicUrl?: string | undefined; notifier?: ChangeNotifier | undefined } = {},
): Services & { snapshots: SnapshotRegistry } {
  const snapshots = new SnapshotRegistry(store, options.notifier ? { notifier: options.notifier } : {});
  // Before any snapshot loads: every snapshot gets its relationship engine.
  const relationIndex = new RelationIndex(store.relationships);
  snapshots.listen(relationIndex);
  const tokens = new TokenService(store, snapshots);
  const catalog = new CatalogService(store, snapshots);
  const applications = new ApplicationService(store, snapshots);
  const issuer = (options.publicUrl ?? DEFAULT_PUBLIC_URL).replace(/\/+$/, "");
  return {
    snapshots,
    tokens,
    catalog,
    decisions: new DecisionService(snapshots),
    environments: new EnvironmentService(store, snapshots, tokens),
    changes: new ChangeService(store),
    apis: new ApiService(catalog, snapshots),
    relationships: new RelationshipService(store, snapshots, relationIndex),
    relationshipModel: new RelationshipModelService(store, snapshots),
    applications,
    apiKeys: new ApiKeyService(store, snapshots, applications),
    oauth: new OAuthService(store, snapshots, applications, new SigningKeyService(store), issuer),
  };
}

/** The OAuth issuer when none is configured: the default listen address. */
const DEFAULT_PUBLIC_URL = "http://127.0.0.1:4000";

/** Opens the store (migrating it), bootstraps a first start, loads every snapshot, and builds the app. */
export async function createTessera(
  config: Pick<Config, "databaseUrl" | "dataDir" | "bodyLimit"> & {
    logger?: boolean | object;
    store?: Store;
    /** The OAuth issuer: the URL clients reach this server at. */
    publicUrl?: string | undefined;
    /** Redis for change notifications between servers (RedisChangeNotifier); absent: the poll alone. */
    redisUrl?: string | undefined;
    /** A notifier to use instead of one made from `redisUrl` (tests); `close` closes it too. */
    notifier?: ChangeNotifier;
  },
): Promise<Tessera> {
  // First, before the work below lets a collection run: see tick-shape.ts.
  holdTickShape();
  const store =
    config.store ?? (await KyselyStore.open({ url: config.databaseUrl, dataDir: config.dataDir }));
  // Connects in the background: a Redis that is down or slow delays neither the start nor any write.
  const notifier =
    config.notifier ?? (config.redisUrl ? new RedisChangeNotifier({ url: config.redisUrl }) : undefined);
  const services = createServices(store, { publicUrl: config.publicUrl, notifier });
  // On PGlite the database is this process's alone (data-dir-lock.ts): every token, key and application is
  // written here, and the indexes take those writes at once. Re-reading them every few seconds is for
  // PostgreSQL, where other nodes and the CLI write too; on PGlite it would be work for nothing, about 1%
  // of a core taken from the requests.
  const poll = { poll: store.backend === "postgres" };
  await services.tokens.start(poll);
  await services.applications.start(poll);
  await services.apiKeys.start(poll);
  await services.oauth.signingKeys.start(poll);
  services.oauth.start();
  // The catalog, subjects and relationships likewise: other servers' writes reach this one's decisions.
  if (poll.poll) services.snapshots.follow();
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
      // Each waits for a refresh still reading the store, which closes last.
      await Promise.all([
        services.tokens.stop(),
        services.applications.stop(),
        services.apiKeys.stop(),
        services.oauth.signingKeys.stop(),
      ]);
      services.oauth.stop();
      // Before the store closes: a notification must not start a read on a closed store.
      await notifier?.close();
      // A read of other servers' writes still going would otherwise meet a closed store (a warning at exit).
      await services.snapshots.close();
      await store.close();
    },
  };
}
