import type { ApiService } from "../services/apis/api-service";
import type { CatalogService } from "../services/catalog/catalog-service";
import type { ChangeService } from "../services/changes";
import type { ApiKeyService } from "../services/credentials/api-keys";
import type { ApplicationService } from "../services/credentials/applications";
import type { DecisionService } from "../services/decisions";
import type { EnvironmentService } from "../services/environments";
import type { OAuthService } from "../services/oauth/oauth-service";
import type { RelationshipModelService } from "../services/relationships/model-service";
import type { RelationshipService } from "../services/relationships/relationship-service";
import type { TokenService } from "../services/tokens";

/** What the HTTP layer may call. Routes validate, call one of these, and map the result. */
export interface Services {
  catalog: CatalogService;
  decisions: DecisionService;
  environments: EnvironmentService;
  tokens: TokenService;
  changes: ChangeService;
  apis: ApiService;
  relationships: RelationshipService;
  relationshipModel: RelationshipModelService;
  applications: ApplicationService;
  apiKeys: ApiKeyService;
  oauth: OAuthService;
}
