import { randomBytes } from "node:crypto";
import { relations } from "@tessera/sdk/core";
import { TesseraError } from "../../errors";
import { type Store, StoreConflict, type WriteTransaction } from "../../storage/store";
import type { SnapshotRegistry } from "../snapshots";
import { relationError } from "./issues";
import { MODEL_ID, MODEL_KIND, type ModelRecord } from "./model-record";
import { dslToJson, jsonToDsl } from "./model-source";

/** The model as the API returns it: both forms, and the revision that holds it. */
export interface ModelView {
  id: string;
  version: number;
  model: relations.AuthorizationModelJson;
  dsl: string | null;
  /** Set when the model is edited through entity types. */
  entityTypes: relations.SeedEntityType[] | null;
  revision: number;
}

/** Written as DSL or as OpenFGA's JSON; exactly one. */
export interface ModelInput {
  dsl?: string | undefined;
  model?: relations.AuthorizationModelJson | undefined;
}

/**
 * The relationship model of each environment: written whole (DSL or JSON) or edited through the seed's
 * entity types, which are regenerated into a model with `seedToModel`. Stored as one resource, so a change
 * goes through `Store.write` (lock, change record, revision) and reaches the snapshot's engine in order.
 */
export class RelationshipModelService {
  constructor(
    private readonly store: Store,
    private readonly snapshots: SnapshotRegistry,
  ) {}

  async get(environmentId: string): Promise<ModelView> {
    const [row, env] = await Promise.all([
      this.store.getResource<ModelRecord>(environmentId, MODEL_KIND, MODEL_ID),
      this.store.getEnvironment(environmentId),
    ]);
    if (!row) throw new TesseraError("NOT_FOUND", "No relationship model is defined yet.");
    return view(row.data, env?.revision ?? 0);
  }

  async put(environmentId: string, actor: string, input: ModelInput): Promise<ModelView> {
    if ((input.dsl === undefined) === (input.model === undefined)) {
      throw new TesseraError("VALIDATION_FAILED", "Send the model as exactly one of `dsl` or `model`.", [
        { pointer: "/", message: "exactly one of dsl, model is required" },
      ]);
    }
    const json = input.dsl !== undefined ? dslToJson(input.dsl) : input.model!;
    const compiled = relations.compileModel(json);
    if (!compiled.model)
      throw relationError(
        compiled.errors,
        "The model is not valid",
        input.dsl !== undefined ? "/dsl" : "/model",
      );
    const dsl = input.dsl ?? jsonToDsl(json);
    return this.write(environmentId, actor, async () => ({ json, dsl, entityTypes: null }));
  }

  /** The entity types the model was edited through; empty when there is no model yet. */
  async entityTypes(environmentId: string): Promise<relations.SeedEntityType[]> {
    const row = await this.store.getResource<ModelRecord>(environmentId, MODEL_KIND, MODEL_ID);
    return editableTypes(row?.data);
  }

  /**
   * Runs `edit` on a copy of the entity types under the environment's write lock, regenerates the model
   * and stores it. If the regenerated model does not compile, nothing is written (INVALID_MODEL).
   */
  async editEntityTypes<T>(
    environmentId: string,
    actor: string,
    edit: (types: relations.SeedEntityType[]) => T,
  ): Promise<T> {
    let result: T | undefined;
    await this.write(environmentId, actor, async (current) => {
      const types = structuredClone(editableTypes(current));
      result = edit(types);
      const { model: json, errors } = relations.seedToModel(types);
      if (errors.length > 0) throw relationError(errors, "The entity types do not make a valid model");
      const compiled = relations.compileModel(json);
      if (!compiled.model) throw relationError(compiled.errors, "The entity types do not make a valid model");
      return { json, dsl: jsonToDsl(json), entityTypes: types };
    });
    return result as T;
  }

  private async write(
    environmentId: string,
    actor: string,
    next: (current: ModelRecord | undefined) => Promise<Omit<ModelRecord, "id" | "version">>,
  ): Promise<ModelView> {
    try {
      const result = await this.store.write(environmentId, actor, async (tx: WriteTransaction) => {
        const before = await tx.get<ModelRecord>(MODEL_KIND, MODEL_ID);
        const record: ModelRecord = {
          id: `mdl_${randomBytes(8).toString("hex")}`,
          version: (before?.data.version ?? 0) + 1,
          ...(await next(before?.data)),
        };
        if (before) await tx.update(MODEL_KIND, MODEL_ID, record);
        else await tx.create(MODEL_KIND, MODEL_ID, record);
        return record;
      });
      await this.snapshots.applyWrite(environmentId, result.revision, result.changes);
      return view(result.value, result.revision);
    } catch (error) {
      if (error instanceof StoreConflict) throw new TesseraError(error.code, error.message);
      throw error;
    }
  }
}

function editableTypes(record: ModelRecord | undefined): relations.SeedEntityType[] {
  if (!record) return [];
  if (record.entityTypes === null) {
    // Entity types cannot say everything the DSL can (intersections, exclusions, conditions): regenerating
    // from them would drop what the model says, so the two ways of writing a model do not mix.
    throw new TesseraError(
      "INVALID_STATE",
      "The model was written as DSL or JSON; edit it that way (PUT /v1/relationships/model).",
    );
  }
  return record.entityTypes;
}

function view(record: ModelRecord, revision: number): ModelView {
  return {
    id: record.id,
    version: record.version,
    model: record.json,
    dsl: record.dsl,
    entityTypes: record.entityTypes,
    revision,
  };
}
