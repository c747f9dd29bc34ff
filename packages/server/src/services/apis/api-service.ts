import type { Api } from "@tessera/sdk/core";
import { TesseraError } from "../../errors";
import { apiKey, refuseSharedAudience } from "../catalog/apis";
import type { CatalogService, ListQuery, Page, ResourceView } from "../catalog/catalog-service";
import type { SnapshotRegistry } from "../snapshots";
import {
  declaredScopes,
  type StoredApi,
  type StoredApiOperation,
  toParsedApi,
  toStoredApi,
} from "./api-document";
import { type ApiImpact, impactOf, type RouteConflict, routeConflicts } from "./api-impact";
import { type ApiDiff, diffApi } from "./openapi-diff";
import { parseApiDocument } from "./openapi-parse";
import { type ApiOperation, type ApiWarning, isApiDocumentError, type ParsedApi } from "./openapi-types";

export interface ImportApiInput {
  /** The API's name; with the major version it is the key, `name@major`. */
  name: string;
  /** An OpenAPI 3.0 / 3.1 or Swagger 2.0 description: a parsed object, or JSON or YAML text. */
  document: string | object;
  /** Overrides the major version read from the document. */
  majorVersion?: number | undefined;
  /** The `aud` of its tokens; absent keeps the API's (on a re-import), null removes it. */
  audience?: string | null | undefined;
  /** Without it the import is a preview: nothing is written. */
  apply?: boolean | undefined;
}

export interface ApiSummary {
  key: string;
  name: string;
  majorVersion: number;
  title?: string | undefined;
  version?: string | undefined;
  specVersion?: string | undefined;
  basePath?: string | undefined;
  audience?: string | undefined;
  operationCount: number;
  publicOperationCount: number;
  scopeCount: number;
}

/** An operation in a diff: what the import read, without the pointer into a document no longer at hand. */
export type DiffOperation = Omit<ApiOperation, "pointer">;

export interface DiffView {
  added: DiffOperation[];
  removed: DiffOperation[];
  changed: {
    name: string;
    previousName?: string;
    fields: string[];
    scopesAdded: string[];
    scopesRemoved: string[];
    before: DiffOperation;
    after: DiffOperation;
  }[];
  scopesAdded: string[];
  scopesRemoved: string[];
}

export interface ImportOutcome {
  applied: boolean;
  /** Only when applied: the snapshot revision from which decisions see the import. */
  revision?: number;
  /** Whether an API with this key existed before: the diff is against it, else against nothing. */
  replaced: boolean;
  api: ApiSummary;
  diff: DiffView;
  /** Plans, roles and grants naming scopes that disappear: they keep their other scopes. */
  affected: ApiImpact;
  /** Operations whose routes another rule already answers for. */
  conflicts: RouteConflict[];
  warnings: ApiWarning[];
}

const EMPTY: ParsedApi = {
  title: "",
  version: "",
  majorVersion: 0,
  specVersion: "",
  basePath: "",
  operations: [],
  scopes: [],
  warnings: [],
};

/**
 * APIs from OpenAPI documents: import (preview, then apply), read and delete. The parser does the reading;
 * this service names the result (`name@major`), diffs it against what is stored, and writes it through
 * the catalog as one `api` resource, so the write is serialised, recorded and in the snapshot at once.
 */
export class ApiService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly snapshots: SnapshotRegistry,
  ) {}

  async import(environmentId: string, actor: string, input: ImportApiInput): Promise<ImportOutcome> {
    const parsed = await parse(input.document);
    const snapshot = await this.snapshots.get(environmentId);
    const identity = { name: input.name, majorVersion: input.majorVersion ?? parsed.majorVersion };
    const previous = snapshot.catalog.apis.get(apiKey(identity.name, identity.majorVersion))?.api;
    // A re-import of a changed document keeps the audience its tokens carry unless it says otherwise: dropped,
    // every resource server checking `aud` would refuse the next token.
    const audience = input.audience === undefined ? previous?.audience : (input.audience ?? undefined);
    const next = toStoredApi(parsed, { ...identity, audience });
    // A preview refuses what the apply would (the catalog checks again inside the write).
    refuseSharedAudience(
      next,
      [...snapshot.catalog.apis.values()].map((c) => c.api),
    );
    const diff = diffApi(previous ? toParsedApi(previous) : EMPTY, parsed);
    const nextScopes = declaredScopes(next);
    const removed = new Set(
      [...(previous ? declaredScopes(previous) : [])].filter((s) => !nextScopes.has(s)),
    );
    const outcome: ImportOutcome = {
      applied: false,
      replaced: previous !== undefined,
      api: summarize(next),
      diff: diffView(diff),
      affected: impactOf(snapshot, next.key, removed),
      conflicts: routeConflicts(snapshot.catalog, next),
      warnings: parsed.warnings,
    };
    if (input.apply !== true) return outcome;

    // Re-importing the same document writes nothing: no change record, no new revision. Whether it is the
    // same is the write's to say: this server's snapshot may not have another's latest import yet.
    await this.catalog.put(environmentId, actor, "api", next, sameJson);
    const revision = (this.snapshots.current(environmentId) ?? (await this.snapshots.get(environmentId)))
      .revision;
    return { ...outcome, applied: true, revision };
  }

  async list(environmentId: string, query: ListQuery): Promise<Page<ApiSummary & Timestamps>> {
    const page = await this.catalog.list(environmentId, "api", query);
    return {
      ...page,
      items: page.items.map((item) => ({ ...summarize(item as unknown as ApiView), ...timestamps(item) })),
    };
  }

  /** The API with its operations and scopes: what a gateway or middleware needs to gate its routes. */
  async get(environmentId: string, key: string): Promise<ApiView> {
    return (await this.catalog.get(environmentId, "api", key)) as unknown as ApiView;
  }

  async operations(environmentId: string, key: string): Promise<{ items: StoredApiOperation[] }> {
    const api = await this.get(environmentId, key);
    return { items: api.operations as StoredApiOperation[] };
  }

  /** Refused while a plan or grant gives access to the API (the kind's beforeDelete). */
  async delete(environmentId: string, actor: string, key: string): Promise<void> {
    await this.catalog.delete(environmentId, actor, "api", key);
  }
}

interface Timestamps {
  createdAt: string;
  updatedAt: string;
}
export type ApiView = StoredApi & Timestamps;

async function parse(document: string | object): Promise<ParsedApi> {
  try {
    return await parseApiDocument(document);
  } catch (error) {
    if (!isApiDocumentError(error)) throw error;
    const pointer = `/document${error.pointer ?? ""}`;
    throw new TesseraError("INVALID_API_DOCUMENT", error.message, [
      { pointer, message: error.message, code: "INVALID_API_DOCUMENT" },
    ]);
  }
}

function summarize(api: Api & Partial<StoredApi>): ApiSummary {
  return {
    key: api.key,
    name: api.name,
    majorVersion: api.majorVersion,
    title: api.title,
    version: api.version,
    specVersion: api.specVersion,
    basePath: api.basePath,
    audience: api.audience,
    operationCount: api.operations.length,
    publicOperationCount: api.operations.filter((o) => o.alternatives.length === 0).length,
    scopeCount: declaredScopes(api).size,
  };
}

function timestamps(view: ResourceView): Timestamps {
  return { createdAt: view.createdAt, updatedAt: view.updatedAt };
}

function diffView(diff: ApiDiff): DiffView {
  return {
    added: diff.added.map(withoutPointer),
    removed: diff.removed.map(withoutPointer),
    changed: diff.changed.map((c) => ({
      name: c.name,
      ...(c.before.name === c.name ? {} : { previousName: c.before.name }),
      fields: c.fields,
      scopesAdded: c.scopesAdded,
      scopesRemoved: c.scopesRemoved,
      before: withoutPointer(c.before),
      after: withoutPointer(c.after),
    })),
    scopesAdded: diff.scopesAdded,
    scopesRemoved: diff.scopesRemoved,
  };
}

function withoutPointer({ pointer: _pointer, ...operation }: ApiOperation): DiffOperation {
  return operation;
}

/** Deep equality of JSON values, blind to key order (PostgreSQL's jsonb does not keep it). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((x, i) => sameJson(x, other[i]));
  }
  const x = defined(a as Record<string, unknown>);
  const y = defined(b as Record<string, unknown>);
  return x.length === y.length && x.every(([k, v]) => sameJson(v, (b as Record<string, unknown>)[k]));
}

function defined(object: Record<string, unknown>): [string, unknown][] {
  return Object.entries(object).filter(([, v]) => v !== undefined);
}
