import type { Config } from "../config";
import { TokenService } from "../services/tokens";
import { KyselyStore } from "../storage/kysely-store";
import type { TokenKind, TokenRight } from "../storage/store";

const RIGHTS: readonly TokenRight[] = ["admin", "manage", "decide"];

/** Works on the database directly: it is how an operator gets a token without having one. */
export async function runTokenCreate(
  config: Config,
  flags: { environment: string; name: string; kind: TokenKind; rights?: string; expiresAt?: string },
): Promise<void> {
  const rights = flags.rights?.split(",").map((r) => r.trim()) as TokenRight[] | undefined;
  const unknown = rights?.filter((r) => !RIGHTS.includes(r));
  if (unknown && unknown.length > 0)
    throw new Error(`Unknown rights: ${unknown.join(", ")} (use ${RIGHTS.join(", ")})`);
  const store = await KyselyStore.open({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    const environment = await store.getEnvironment(flags.environment);
    if (!environment) {
      throw new Error(
        `No environment "${flags.environment}". Start the server once (npm start) to create the defaults.`,
      );
    }
    const { token, secret } = await new TokenService(store).create(
      environment.id,
      { name: flags.name, kind: flags.kind, rights, expiresAt: flags.expiresAt },
      "cli",
    );
    console.log(
      `Created ${token.kind} token ${token.id} for "${environment.key}" with rights ${token.rights.join(", ")}` +
        (token.expiresAt === null ? "." : `, expiring at ${token.expiresAt}.`),
    );
    console.log("Shown once, store it now:");
    console.log(secret);
  } finally {
    await store.close();
  }
}
