import type { relations } from "@tessera/sdk/core";

/** The resource kind and id under which an environment's relationship model is stored. */
export const MODEL_KIND = "relationship-model";
export const MODEL_ID = "current";

/** The stored model: its JSON, the DSL it was written in (if any), and the seed entity types it came from (if any). */
export interface ModelRecord {
  /** Changes on every write of the model. */
  id: string;
  /** 1 for the first model of the environment, then +1 per change. */
  version: number;
  json: relations.AuthorizationModelJson;
  dsl: string | null;
  /** Set when the model is edited through entity types (the seed's endpoints); null when written as DSL or JSON. */
  entityTypes: relations.SeedEntityType[] | null;
}
