import type { Catalog } from "@tessera/sdk/core";

export interface ApiEntitlement {
  api: string;
  scopes: string[];
}

/**
 * The API scopes a set of plans confers (a subscription's base plan and add-ons): per API, the union of
 * named scopes, the scopes of the roles named, and every scope where `all` is set, kept to those the API
 * declares. The same rule as the evaluator's (core effective.ts), so the listing never disagrees with a
 * check. APIs in the order the plans first name them; scopes sorted.
 */
export function apiEntitlementsOfPlans(catalog: Catalog, planKeys: readonly string[]): ApiEntitlement[] {
  const byApi = new Map<string, Set<string>>();
  for (const planKey of planKeys) {
    for (const access of catalog.plans.get(planKey)?.apiAccess ?? []) {
      const api = catalog.apis.get(access.api);
      if (!api) continue;
      let scopes = byApi.get(access.api);
      if (!scopes) {
        scopes = new Set();
        byApi.set(access.api, scopes);
      }
      if (access.all) for (const s of api.scopes) scopes.add(s);
      const wanted = [...(access.scopes ?? [])];
      for (const role of access.roles ?? []) wanted.push(...(catalog.roles.get(role)?.scopes ?? []));
      for (const s of wanted) if (api.scopes.has(s)) scopes.add(s);
    }
  }
  return [...byApi].map(([api, scopes]) => ({ api, scopes: [...scopes].sort() }));
}
