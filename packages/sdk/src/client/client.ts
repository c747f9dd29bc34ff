import type { Subject } from "../core/decision";
import { type FieldError, TesseraApiError, TesseraConnectionError } from "./errors";
import { MembersClient, ResourceClient } from "./resources";
import { type RequestOptions, Transport, type TransportOptions } from "./transport";
import type {
  ChangesOptions,
  ChangesPage,
  CheckDecision,
  CheckTarget,
  ClientCheckRequest,
  CreateInputs,
  Items,
  ListOptions,
  LookupResponse,
  TimeInput,
} from "./types";

export type TesseraClientOptions = TransportOptions;

/** The server refuses larger batches; checkBatch splits longer lists into requests of this size. */
export const MAX_BATCH = 100;

type Resources = {
  readonly [R in keyof Items]: ResourceClient<Items[R], CreateInputs[R], ListOptions[R]>;
};

/**
 * A client of Tessera's HTTP API. Decisions come back as values: a denial is a Decision with
 * `entitled: false`, never an exception. Faults (bad input, bad token, server down) throw a TesseraError.
 */
export class TesseraClient implements Resources {
  private readonly transport: Transport;

  readonly features: Resources["features"];
  readonly permissions: Resources["permissions"];
  readonly roles: Resources["roles"];
  readonly plans: Resources["plans"];
  readonly flags: Resources["flags"];
  readonly routes: Resources["routes"];
  readonly tenants: Resources["tenants"];
  readonly users: Resources["users"];
  readonly subscriptions: Resources["subscriptions"];
  readonly grants: Resources["grants"];
  readonly members: MembersClient;

  constructor(options: TesseraClientOptions) {
    const t = new Transport(options);
    this.transport = t;
    this.features = new ResourceClient(t, "features");
    this.permissions = new ResourceClient(t, "permissions");
    this.roles = new ResourceClient(t, "roles");
    this.plans = new ResourceClient(t, "plans");
    this.flags = new ResourceClient(t, "flags");
    this.routes = new ResourceClient(t, "routes");
    this.tenants = new ResourceClient(t, "tenants");
    this.users = new ResourceClient(t, "users");
    this.subscriptions = new ResourceClient(t, "subscriptions");
    this.grants = new ResourceClient(t, "grants");
    this.members = new MembersClient(t);
  }

  // async so that bad input (an invalid date) rejects like every other failure instead of throwing synchronously.
  async check(request: ClientCheckRequest, options?: RequestOptions): Promise<CheckDecision> {
    const answer = await this.transport.request<CheckDecision>(
      "POST",
      "/v1/check",
      toWire(request),
      undefined,
      options,
    );
    return decisionOf(answer, "POST /v1/check");
  }

  /** Decisions in the order of the requests. Lists over MAX_BATCH are sent as several requests. */
  async checkBatch(
    requests: readonly ClientCheckRequest[],
    options?: RequestOptions,
  ): Promise<CheckDecision[]> {
    const chunks: ClientCheckRequest[][] = [];
    for (let i = 0; i < requests.length; i += MAX_BATCH) chunks.push(requests.slice(i, i + MAX_BATCH));
    const answers = await Promise.all(
      chunks.map(async (chunk, n) => {
        const offset = n * MAX_BATCH;
        const answer = await this.transport
          .request<{ decisions: CheckDecision[] }>(
            "POST",
            "/v1/check/batch",
            { checks: chunk.map(toWire) },
            undefined,
            options,
          )
          .catch((error: unknown) => {
            throw offset > 0 ? shiftCheckPointers(error, offset) : error;
          });
        // A short or missing list would pair the rest of the caller's checks with the wrong decisions.
        const { decisions } = answer;
        if (!Array.isArray(decisions) || decisions.length !== chunk.length) {
          throw new TesseraConnectionError(
            `POST /v1/check/batch: expected ${chunk.length} decisions, got ${
              Array.isArray(decisions) ? decisions.length : "none"
            }`,
          );
        }
        return decisions.map((d) => decisionOf(d, "POST /v1/check/batch"));
      }),
    );
    return answers.flat();
  }

  /** Everything the subject has: for UIs that hide or badge what the plan lacks. */
  async lookup(subject: Subject, at?: TimeInput, options?: RequestOptions): Promise<LookupResponse> {
    return this.transport.request("POST", "/v1/lookup", { subject, at: toIso(at) }, undefined, options);
  }

  /** `check` with the subject apart from the question: `isEntitledTo(subject, { feature: "sso" })`. */
  isEntitledTo(subject: Subject, target: CheckTarget, options?: RequestOptions): Promise<CheckDecision> {
    return this.check({ ...target, subject }, options);
  }

  /** The change feed, for callers that keep their own copy of the state. */
  changes(query?: ChangesOptions, options?: RequestOptions): Promise<ChangesPage> {
    return this.transport.request(
      "GET",
      "/v1/changes",
      undefined,
      {
        afterRevision: query?.afterRevision,
        limit: query?.limit,
        kind: query?.kind,
        resourceId: query?.resourceId,
      },
      options,
    );
  }

  /** The entitlements of a subscription by its external key (the Apiway-compatible endpoint). */
  entitlements<T = unknown>(subscriptionKey: string, options?: RequestOptions): Promise<T> {
    return this.transport.request("GET", "/v1/entitlements", undefined, { subscriptionKey }, options);
  }
}

/** A decision must at least say yes or no: an object without a boolean `entitled` is not one. */
function decisionOf(answer: unknown, call: string): CheckDecision {
  const entitled = (answer as { entitled?: unknown } | null | undefined)?.entitled;
  if (typeof entitled !== "boolean")
    throw new TesseraConnectionError(`${call}: the answer is not a decision`);
  return answer as CheckDecision;
}

/**
 * The server numbers a batch's checks from 0 in each request, so an error in the second request of a long
 * batch names `/checks/20` for the caller's check 120. This renumbers the pointers, and the detail that
 * quotes them, to the caller's indexes.
 */
function shiftCheckPointers(error: unknown, offset: number): unknown {
  if (!(error instanceof TesseraApiError)) return error;
  const shift = (text: string) =>
    text.replace(
      /(^|[^\w/])\/checks\/(\d+)/g,
      (_m, before: string, i: string) => `${before}/checks/${Number(i) + offset}`,
    );
  const errors: FieldError[] = error.errors.map((e) => ({ ...e, pointer: shift(e.pointer) }));
  return new TesseraApiError({ ...error.problem, detail: shift(error.problem.detail), errors });
}

function toWire(request: ClientCheckRequest): unknown {
  return { ...request, at: toIso(request.at) };
}

/** The API takes ISO-8601; an invalid time is refused here rather than sent as "Invalid Date". */
export function toIso(at: TimeInput | undefined): string | undefined {
  if (at === undefined) return undefined;
  if (typeof at === "string") return at;
  const date = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) throw new RangeError(`invalid time: ${String(at)}`);
  return date.toISOString();
}
