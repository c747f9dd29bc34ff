import { Command, Option } from "commander";
import { loadConfig, SETTINGS } from "../config";
import { VERSION } from "../http/app";
import { runCheck } from "./check";
import { type GatewayFlags, runGateway } from "./gateway";
import { runKeys } from "./keys";
import { runMigrate } from "./migrate";
import { runServe } from "./serve";
import { runTokenCreate } from "./token";

const program = new Command()
  .name("tessera")
  .description("Tessera: entitlements, permissions and API access decisions")
  .version(VERSION);

/** A running server's URL, for the commands that ask one. */
function serverUrlOption(flags: string, description: string): Option {
  return new Option(flags, description).env("TESSERA_URL").default("http://127.0.0.1:4000");
}

/**
 * A token, from the flag or TESSERA_TOKEN. Not as the option's default: `--help` prints defaults, and so
 * printed the token.
 */
function tokenOption(flags: string, description: string): Option {
  return new Option(flags, description).env("TESSERA_TOKEN");
}

/** The storage flags every command that opens the database accepts. */
function withStorage(command: Command): Command {
  for (const s of SETTINGS.filter((s) => s.key === "databaseUrl" || s.key === "dataDir")) {
    command.addOption(new Option(s.flag, `${s.help} (env ${s.env})`));
  }
  return command;
}

const serve = program.command("serve").description("Start the service");
for (const s of SETTINGS)
  serve.addOption(new Option(s.flag, `${s.help} (env ${s.env}, default ${s.default || "none"})`));
serve.action(async (flags) => runServe(loadConfig(flags)));

withStorage(program.command("migrate").description("Bring the database schema up to date")).action(
  async (flags) => runMigrate(loadConfig(flags)),
);

const token = program.command("token").description("Management tokens and server keys");
withStorage(
  token
    .command("create")
    .description("Create a token and print it once")
    .requiredOption("-e, --environment <key>", "environment key or id", "development")
    .option("-n, --name <name>", "a name to recognise it by", "cli")
    .addOption(
      new Option("-k, --kind <kind>", "management or server")
        .choices(["management", "server"])
        .default("management"),
    )
    .option("-r, --rights <rights>", "comma-separated: admin, manage, decide")
    .option("--expires-at <time>", "when it stops working (ISO 8601); default: never"),
).action(async (flags) => runTokenCreate(loadConfig(flags), flags));

const keys = program.command("keys").description("The OAuth issuer's signing keys, on a running server");
for (const action of ["list", "rotate"] as const) {
  keys
    .command(action)
    .description(
      action === "list"
        ? "List the signing keys and their status"
        : "Make a new signing key active; the previous one verifies until its tokens expire",
    )
    .addOption(serverUrlOption("--url <url>", "server URL"))
    .addOption(tokenOption("--token <token>", "admin management token"))
    .action(async (flags) => {
      process.exitCode = await runKeys(action, flags);
    });
}

program
  .command("check")
  .description("Ask a running server one isEntitledTo question")
  .addOption(serverUrlOption("--url <url>", "server URL"))
  .addOption(tokenOption("--token <token>", "token"))
  .requiredOption("-t, --tenant <id>", "tenant id")
  .option("-u, --user <id>", "user id")
  .option("-f, --feature <key>", "feature key")
  .option("-p, --permission <key>", "permission key")
  .option("--route <route>", 'a route, as "GET /invoices/42"')
  .option("--usage <n>", "requested usage, for limit features")
  .option("--at <time>", "evaluate at this ISO-8601 time")
  .action(async (flags) => {
    process.exitCode = await runCheck(flags);
  });

program
  .command("gateway")
  .description("Run a reverse proxy that enforces one API's scopes in front of its upstream")
  .requiredOption("--api <key>", "the API to enforce, name@major")
  .requiredOption("--upstream <url>", "where allowed requests go")
  .option("--port <port>", "port to listen on", "8080")
  .option("--host <host>", "address to listen on", "127.0.0.1")
  .addOption(serverUrlOption("--tessera-url <url>", "Tessera's URL"))
  .addOption(tokenOption("--token <key>", "server key with the decide right"))
  .option("--issuer <url>", "the tokens' iss; default: from Tessera's OAuth metadata")
  .option("--jwks-uri <url>", "where the signing keys are; default: from Tessera's OAuth metadata")
  .option("--no-api-keys", "accept OAuth2 access tokens only")
  .option("--key-cache <seconds>", "how long an API key verification is reused", "5")
  .option("--refresh <seconds>", "reload the API definition this often; 0 never", "60")
  .option("--forward-credentials", "pass Authorization and x-api-key on to the upstream")
  .option("--trust-proxy", "trust X-Forwarded-For for the caller's address")
  .option("--log-level <level>", "log level", "warn")
  .action(async (flags: GatewayFlags) => runGateway(flags));

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
