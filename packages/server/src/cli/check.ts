/** `tessera check`: one decision from a running server, printed as JSON; exit code 0 entitled, 2 denied. */
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
  const response = await fetch(new URL("/v1/check", flags.url), {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${flags.token}` },
    body: JSON.stringify(body),
  });
  const result = (await response.json()) as { entitled?: boolean };
  console.log(JSON.stringify(result, null, 2));
  if (!response.ok) return 1;
  return result.entitled ? 0 : 2;
}
