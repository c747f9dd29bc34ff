import type { CredentialStore } from "../storage/credential-store";
import type { TestServer } from "./server";

/** What CredentialStore.createApiKey takes. */
type NewApiKey = Parameters<CredentialStore["createApiKey"]>[0];

/**
 * An API key record for store tests: `hashChar` repeated makes a 64-character hash, distinct per key; `over`
 * sets any other field.
 */
export function apiKeyRecord(
  id: string,
  environmentId: string,
  applicationId: string,
  hashChar: string,
  over: Partial<NewApiKey> = {},
): NewApiKey {
  return {
    id,
    environmentId,
    applicationId,
    tenantId: "acme",
    name: null,
    api: "payments@1",
    keyHash: hashChar.repeat(64),
    display: "tsr_test_…abcd",
    scopes: null,
    ipAllowList: null,
    timeWindow: null,
    metadata: {},
    expiresAt: null,
    ...over,
  };
}

/**
 * The API credential tests have their applications name: `payments@1`, one scope, no operations, written
 * straight to the catalog.
 */
export async function createPaymentsApi(server: TestServer): Promise<void> {
  await server.tessera.services.catalog.create(server.environmentId, "test", "api", {
    key: "payments@1",
    name: "payments",
    majorVersion: 1,
    scopes: [{ name: "payments:read" }],
    operations: [],
  });
}
