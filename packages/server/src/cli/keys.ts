/**
 * `tessera keys list | rotate`: the OAuth issuer's signing keys, through a running server's API. The server
 * owns the keys (and, on the embedded database, the data folder), so the CLI asks it rather than the database.
 */
export interface KeysFlags {
  url: string;
  token?: string;
}

export async function runKeys(action: "list" | "rotate", flags: KeysFlags): Promise<number> {
  if (!flags.token)
    throw new Error("Give a management token with the admin right: --token or TESSERA_TOKEN.");
  const response = await fetch(
    new URL(action === "list" ? "/v1/oauth/keys" : "/v1/oauth/keys/rotate", flags.url),
    {
      method: action === "list" ? "GET" : "POST",
      headers: { authorization: `Bearer ${flags.token}` },
    },
  );
  const body = (await response.json()) as unknown;
  console.log(JSON.stringify(body, null, 2));
  return response.ok ? 0 : 1;
}
