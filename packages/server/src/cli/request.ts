/** How long a command waits for a running server's answer. */
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * One call to a running server's API, for `check` and `keys`: `path` goes after the URL's own path, as the
 * SDK's client does (`https://example.com/tessera` behind a proxy asks `/tessera/v1/check`, not
 * `/v1/check`). Every way of not getting a JSON answer is one line naming the URL: fetch's own words are
 * "fetch failed" and "Unexpected token '<'", and with no timeout a server that never answers held the
 * command forever.
 */
export async function callTessera(
  url: string,
  path: string,
  init: { method: string; token: string; body?: unknown },
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<{ ok: boolean; body: unknown }> {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw new Error(`--url takes an http:// or https:// URL, not "${url}"`);
  const target = `${url.replace(/\/+$/, "")}${path}`;
  let response: Response;
  try {
    response = await fetch(target, {
      method: init.method,
      headers: {
        authorization: `Bearer ${init.token}`,
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if ((error as Error).name === "TimeoutError")
      throw new Error(`${target} did not answer within ${timeoutMs / 1000} s.`);
    const cause = (error as { cause?: unknown }).cause;
    const why = cause instanceof Error ? cause.message : (error as Error).message;
    throw new Error(`Cannot reach ${target}: ${why}. Is Tessera running there? (--url, or TESSERA_URL)`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    if ((error as Error).name === "TimeoutError")
      throw new Error(`${target} did not answer within ${timeoutMs / 1000} s.`);
    throw error;
  }
  try {
    return { ok: response.ok, body: JSON.parse(text) as unknown };
  } catch {
    const type = response.headers.get("content-type") ?? "no content type";
    throw new Error(
      `${target} answered ${response.status} with ${type}, not Tessera's JSON. Is Tessera running there? (--url, or TESSERA_URL)`,
    );
  }
}
