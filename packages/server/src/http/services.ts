import type { CatalogService } from "../services/catalog/catalog-service";
import type { ChangeService } from "../services/changes";
import type { DecisionService } from "../services/decisions";
import type { EnvironmentService } from "../services/environments";
import type { TokenService } from "../services/tokens";

/** What the HTTP layer may call. Routes validate, call one of these, and map the result. */
export interface Services {
  catalog: CatalogService;
  decisions: DecisionService;
  environments: EnvironmentService;
  tokens: TokenService;
  changes: ChangeService;
}
