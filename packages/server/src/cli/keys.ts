import { callTessera } from "./request";

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
  const { ok, body } = await callTessera(
    flags.url,
    action === "list" ? "/v1/oauth/keys" : "/v1/oauth/keys/rotate",
    { method: action === "list" ? "GET" : "POST", token: flags.token },
  );
  console.log(JSON.stringify(body, null, 2));
  return ok ? 0 : 1;
}
