import type { Api } from "@tessera/sdk/core";

/** What bench/access.ts and its child processes share: the issuer and the API being enforced. */
export const ISSUER = "https://tessera.bench";

/** The API the gateway enforces: a handful of operations, the measured one needing one scope. */
export const benchApi: Api = {
  key: "payments@1",
  name: "payments",
  majorVersion: 1,
  basePath: "/v1",
  scopes: [{ name: "payments:read" }, { name: "payments:write" }],
  operations: [
    { name: "health", method: "GET", path: "/health", alternatives: [] },
    { name: "listPayments", method: "GET", path: "/payments", alternatives: [["payments:read"]] },
    { name: "getPayment", method: "GET", path: "/payments/{id}", alternatives: [["payments:read"]] },
    { name: "createPayment", method: "POST", path: "/payments", alternatives: [["payments:write"]] },
    { name: "refund", method: "POST", path: "/payments/{id}/refunds", alternatives: [["payments:write"]] },
  ],
};
