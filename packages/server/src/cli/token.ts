import type { Config } from "../config";
import { TokenService } from "../services/tokens";
import { KyselyStore } from "../storage/kysely-store";
import type { TokenKind, TokenRight } from "../storage/store";

const RIGHTS: readonly TokenRight[] = ["admin", "manage", "decide"];

/** A date (midnight UTC), or a date and time with a `Z` or an offset. */
const EXPIRES_AT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/i;

/** Works on the database directly: it is how an operator gets a token without having one. */
export async function runTokenCreate(
  config: Config,
  flags: { environment: string; name: string; kind: TokenKind; rights?: string; expiresAt?: string },
): Promise<void> {
  // As the API's schema has it: a name of 1 to 200 characters.
  if (flags.name.trim() === "" || flags.name.length > 200)
    throw new Error("--name takes a name of 1 to 200 characters.");
  // "admin," is admin; an empty --rights (which said "Unknown rights:  ") names none.
  const rights = flags.rights
    ?.split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "") as TokenRight[] | undefined;
  if (rights?.length === 0) throw new Error(`--rights names no right (use ${RIGHTS.join(", ")})`);
  const unknown = rights?.filter((r) => !RIGHTS.includes(r));
  if (unknown && unknown.length > 0)
    throw new Error(`Unknown rights: ${unknown.join(", ")} (use ${RIGHTS.join(", ")})`);
  // What POST /v1/tokens takes (RFC 3339), or a date. Date.parse takes more, and reads a time with no offset
  // ("2030-01-31T12:00") in this machine's zone, and "01/02/2030" as January or February by locale.
  if (flags.expiresAt !== undefined && !EXPIRES_AT.test(flags.expiresAt))
    throw new Error(
      `--expires-at takes an ISO 8601 date, or date and time with its offset (2030-01-31, 2030-01-31T12:00:00Z), not "${flags.expiresAt}"`,
    );
  const store = await KyselyStore.open({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    const environment = await store.getEnvironment(flags.environment);
    if (!environment) {
      const keys = (await store.listEnvironments()).map((e) => `"${e.key}"`);
      // Starting the server makes the defaults; where they exist, that advice sent people nowhere.
      throw new Error(
        keys.length === 0
          ? `No environment "${flags.environment}". Start the server once (npm start) to create the defaults.`
          : `No environment "${flags.environment}" (there are ${keys.join(", ")}).`,
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
