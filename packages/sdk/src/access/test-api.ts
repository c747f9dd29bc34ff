import type { Api } from "../core/types";

/** A small API with public, single-scope, AND and OR operations, for guard and middleware tests. */
export const paymentsApi: Api = {
  key: "payments@1",
  name: "payments",
  majorVersion: 1,
  basePath: "/v1",
  scopes: [
    { name: "payments:read" },
    { name: "payments:write" },
    { name: "refunds:write" },
    { name: "admin" },
  ],
  operations: [
    { name: "health", method: "GET", path: "/health", alternatives: [] },
    { name: "listPayments", method: "GET", path: "/payments", alternatives: [["payments:read"]] },
    { name: "getPayment", method: "GET", path: "/payments/{id}", alternatives: [["payments:read"]] },
    { name: "createPayment", method: "POST", path: "/payments", alternatives: [["payments:write"]] },
    {
      name: "refund",
      method: "POST",
      path: "/payments/{id}/refunds",
      alternatives: [["admin"], ["payments:write", "refunds:write"]],
    },
  ],
};
