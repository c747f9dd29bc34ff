import { addScopes, type Catalog } from "@tessera/sdk/core";

export interface ApiEntitlement {
  api: string;
  scopes: string[];
}

/**
 * The API scopes a set of plans confers (a subscription's base plan and add-ons): per API, the union of
 * named scopes, the scopes of the roles named, and every scope where `all` is set, kept to those the API
 * declares. The evaluator's own rule (core addScopes), so the listing never disagrees with a
 * check. APIs in the order the plans first name them; scopes sorted.
 */
export function apiEntitlementsOfPlans(catalog: Catalog, planKeys: readonly string[]): ApiEntitlement[] {
  const byApi = new Map<string, Set<string>>();
  for (const planKey of planKeys) {
    for (const access of catalog.plans.get(planKey)?.apiAccess ?? []) addScopes(catalog, byApi, access);
  }
  return [...byApi].map(([api, scopes]) => ({ api, scopes: [...scopes].sort() }));
}
