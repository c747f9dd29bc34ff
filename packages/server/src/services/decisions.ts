import { randomBytes } from "node:crypto";
import {
  type CheckRequest,
  type Decision,
  evaluate,
  grants,
  isSubscriptionActive,
  lookupEntitlements,
  planEntitlements,
  type Snapshot,
  type Subject,
  type SubjectEntitlements,
  toMillis,
} from "@tessera/sdk/core";
import { TesseraError } from "../errors";
import { apiEntitlementsOfPlans } from "./apis/api-entitlements";
import type { SnapshotRegistry } from "./snapshots";

/** A check as the API receives it: like the core's, with `at` as an ISO-8601 string. */
export type CheckInput = Omit<CheckRequest, "at"> & { at?: string | undefined };

/**
 * Decisions, answered from the in-memory snapshot: no database query on this path. A decision id is a
 * per-process random prefix and a counter: unique, and far cheaper than a UUID per decision.
 *
 * check and checkBatch answer synchronously once the environment's snapshot is loaded (always, after the
 * server's warm-up), and return a promise only while it loads: the caller on the hot path then pays for no
 * promise at all. `await` takes either.
 */
export class DecisionService {
  private readonly prefix = `dec_${randomBytes(6).toString("hex")}`;
  private counter = 0;

  constructor(private readonly snapshots: SnapshotRegistry) {}

  check(environmentId: string, input: CheckInput): Decision | Promise<Decision> {
    const snapshot = this.snapshots.current(environmentId);
    if (snapshot) return this.decide(snapshot, input);
    return this.snapshots.get(environmentId).then((loaded) => this.decide(loaded, input));
  }

  checkBatch(environmentId: string, inputs: CheckInput[]): Decision[] | Promise<Decision[]> {
    const snapshot = this.snapshots.current(environmentId);
    if (snapshot) return inputs.map((input) => this.decide(snapshot, input));
    return this.snapshots
      .get(environmentId)
      .then((loaded) => inputs.map((input) => this.decide(loaded, input)));
  }

  async lookup(environmentId: string, subject: Subject, at?: string): Promise<SubjectEntitlements> {
    const snapshot = await this.snapshots.get(environmentId);
    const result = lookupEntitlements(snapshot, subject, at === undefined ? undefined : toMillis(at));
    // The subject's own decision (a denial when it is unknown) is a decision like any other: it gets an id.
    if (result.subject !== undefined) result.subject.decisionId = this.nextDecisionId();
    return result;
  }

  /** The entitlements a subscription confers, found by its id or external key (the seed's query). */
  async subscriptionEntitlements(environmentId: string, key: string) {
    const snapshot = await this.snapshots.get(environmentId);
    const subscription = snapshot.subscription(key);
    if (!subscription)
      throw new TesseraError("NOT_FOUND", `No subscription has the id or external key "${key}".`);
    const { plans, features } = planEntitlements(
      snapshot.catalog,
      subscription.planKey,
      subscription.addOns ?? [],
    );
    const compiled = snapshot.tenants
      .get(subscription.tenantId)
      ?.subscriptions.find((s) => s.id === subscription.id);
    const entitlements = [];
    // In the order of the feature keys, as every list in an answer: the plans' maps are in write order.
    for (const featureKey of [...features.keys()].sort()) {
      const entitlement = features.get(featureKey)!;
      const feature = snapshot.catalog.features.get(featureKey)!;
      if (feature.archived || !grants(feature, entitlement.value)) continue;
      entitlements.push({
        featureKey,
        type: feature.type,
        value: entitlement.value,
        source: entitlement.source,
      });
    }
    return {
      subscription: {
        id: subscription.id,
        externalKey: subscription.externalKey ?? null,
        tenantId: subscription.tenantId,
        planKey: subscription.planKey,
        addOns: subscription.addOns ?? [],
        status: subscription.status,
        active: compiled ? isSubscriptionActive(compiled, Date.now()) : false,
      },
      plans,
      entitlements,
      apis: apiEntitlementsOfPlans(snapshot.catalog, plans),
      revision: snapshot.revision,
    };
  }

  private decide(snapshot: Snapshot, input: CheckInput): Decision {
    const request = input as CheckRequest;
    if (input.at !== undefined) request.at = toMillis(input.at);
    const decision = evaluate(snapshot, request);
    decision.decisionId = this.nextDecisionId();
    return decision;
  }

  private nextDecisionId(): string {
    return `${this.prefix}${(++this.counter).toString(36)}`;
  }
}
