import type { ColumnType, Generated } from "kysely";

/** Kysely's view of the tables that migrations/ creates. */
export interface Database {
  environments: EnvironmentsTable;
  tokens: TokensTable;
  resources: ResourcesTable;
  changes: ChangesTable;
  relationship_tuples: RelationshipTuplesTable;
  applications: ApplicationsTable;
  client_secrets: ClientSecretsTable;
  api_keys: ApiKeysTable;
  signing_keys: SigningKeysTable;
  revoked_access_tokens: RevokedAccessTokensTable;
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json = ColumnType<unknown, string, string>;

export interface EnvironmentsTable {
  id: string;
  key: string;
  name: string;
  revision: Generated<number>;
  created_at: Timestamp;
}

export interface TokensTable {
  id: string;
  environment_id: string;
  name: string;
  kind: string;
  rights: Json;
  token_hash: string;
  display: string;
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  expires_at: NullableTimestamp;
}

export interface ResourcesTable {
  environment_id: string;
  kind: string;
  id: string;
  data: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ChangesTable {
  environment_id: string;
  revision: number;
  seq: number;
  kind: string;
  resource_id: string;
  action: string;
  actor: string;
  before: Json | null;
  after: Json | null;
  at: Timestamp;
}

export interface RelationshipTuplesTable {
  environment_id: string;
  object: string;
  relation: string;
  user: string;
  condition_name: string | null;
  condition_context: Json | null;
  expires_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface ApplicationsTable {
  id: string;
  environment_id: string;
  tenant_id: string;
  name: string;
  default_api: string | null;
  token_ttl_seconds: number | null;
  metadata: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
  revoked_at: NullableTimestamp;
}

export interface ClientSecretsTable {
  id: string;
  application_id: string;
  secret_hash: string;
  display: string;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
}

export interface ApiKeysTable {
  id: string;
  environment_id: string;
  application_id: string;
  tenant_id: string;
  name: string | null;
  api: string;
  key_hash: string;
  display: string;
  scopes: Json | null;
  ip_allow_list: Json | null;
  time_window: Json | null;
  metadata: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  replaced_by: string | null;
}

export interface SigningKeysTable {
  kid: string;
  public_jwk: Json;
  private_jwk: Json | null;
  status: string;
  created_at: Timestamp;
  retired_at: NullableTimestamp;
}

export interface RevokedAccessTokensTable {
  jti: string;
  application_id: string;
  expires_at: Timestamp;
  revoked_at: Timestamp;
}
