import { randomBytes } from "node:crypto";
import { dropSchema } from "../storage/database";
import { KyselyStore } from "../storage/kysely-store";
import type { Store } from "../storage/store";

export interface TestBackend {
  name: "pglite" | "postgres";
  /** A fresh, empty, migrated store; `close` also removes what it created. */
  open(): Promise<Store>;
}

/**
 * The backends every storage-facing suite runs on: PGlite always, PostgreSQL when
 * TESSERA_TEST_DATABASE_URL is set (CI sets it). Each PostgreSQL store gets a schema of its own, so test
 * files run side by side on one database without seeing each other.
 */
export function testBackends(): TestBackend[] {
  const backends: TestBackend[] = [
    { name: "pglite", open: () => KyselyStore.open({ dataDir: "memory://" }) },
  ];
  const url = process.env.TESSERA_TEST_DATABASE_URL;
  if (url) {
    backends.push({
      name: "postgres",
      open: async () => {
        const schema = `t_${randomBytes(6).toString("hex")}`;
        const store = await KyselyStore.open({ url, schema, poolSize: 4 });
        const close = store.close.bind(store);
        store.close = async () => {
          await close();
          await dropSchema(url, schema);
        };
        return store;
      },
    });
  }
  return backends;
}
