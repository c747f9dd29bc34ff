import type { LightMyRequestResponse } from "fastify";
import { createTessera, type Tessera } from "../server";
import type { TestBackend } from "./backends";

export interface TestServer {
  tessera: Tessera;
  /** The bootstrap token: admin, manage and decide on `development`. */
  token: string;
  environmentId: string;
  call(method: string, url: string, body?: unknown, token?: string | null): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A real Tessera on a real backend, driven in-process through Fastify's inject. */
export async function startTestServer(backend: TestBackend, bodyLimit = 65_536): Promise<TestServer> {
  const store = await backend.open();
  const tessera = await createTessera({
    store,
    databaseUrl: undefined,
    dataDir: "memory://",
    bodyLimit,
    publicUrl: "http://tessera.test",
  });
  const bootstrap = tessera.bootstrap!;
  return {
    tessera,
    token: bootstrap.token,
    environmentId: bootstrap.environment.id,
    call(method, url, body, token = bootstrap.token) {
      const headers: Record<string, string> = {};
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      return tessera.app.inject({
        method: method as "GET",
        url,
        headers,
        ...(body === undefined ? {} : { payload: typeof body === "string" ? body : JSON.stringify(body) }),
      });
    },
    close: () => tessera.close(),
  };
}
