import type { Config } from "../config";
import { migrate, openDatabase } from "../storage/database";

export async function runMigrate(config: Config): Promise<void> {
  const { db, close } = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    const applied = await migrate(db);
    console.log(applied.length > 0 ? `Applied: ${applied.join(", ")}` : "The schema is up to date.");
  } finally {
    await close();
  }
}
