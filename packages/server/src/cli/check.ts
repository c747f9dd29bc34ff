import { callTessera } from "./request";

/** `tessera check`: one decision from a running server, printed as JSON; exit code 0 entitled, 2 denied, 1 refused. */
export async function runCheck(flags: {
  url: string;
  token?: string;
  tenant: string;
  user?: string;
  feature?: string;
  permission?: string;
  route?: string;
  usage?: string;
  at?: string;
}): Promise<number> {
  if (!flags.token) throw new Error("Give a token: --token or TESSERA_TOKEN.");
  const body: Record<string, unknown> = { subject: { tenantId: flags.tenant, userId: flags.user } };
  if (flags.feature) body.feature = flags.feature;
  if (flags.permission) body.permission = flags.permission;
  if (flags.route) {
    const [method, path] = flags.route.trim().split(/\s+/, 2);
    if (!method || !path) throw new Error('--route takes "METHOD /path"');
    body.route = { method, path };
  }
  if (flags.usage !== undefined) {
    // Number("") is 0: an empty --usage would ask about nothing rather than fail.
    const usage = flags.usage.trim() === "" ? Number.NaN : Number(flags.usage);
    if (!Number.isFinite(usage)) throw new Error("--usage takes a number");
    body.requestedUsage = usage;
  }
  if (flags.at) body.at = flags.at;
  const { ok, body: answer } = await callTessera(flags.url, "/v1/check", {
    method: "POST",
    token: flags.token,
    body,
  });
  console.log(JSON.stringify(answer, null, 2));
  if (!ok) return 1;
  // Exit 2 says "denied": only a decision may say that, not whatever a wrong --url answered with.
  const entitled = (answer as { entitled?: unknown } | null)?.entitled;
  if (typeof entitled !== "boolean") {
    console.error(`The answer from ${flags.url} is not a decision (it has no "entitled"): is it Tessera?`);
    return 1;
  }
  return entitled ? 0 : 2;
}
