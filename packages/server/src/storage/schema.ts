import type { ColumnType, Generated } from "kysely";

/** Kysely's view of the tables that migrations/ creates. */
export interface Database {
  environments: EnvironmentsTable;
  tokens: TokensTable;
  resources: ResourcesTable;
  changes: ChangesTable;
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
