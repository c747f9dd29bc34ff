import { type Bucket, bucketAdd, bucketHas, bucketRemove, bucketSize, bucketValues } from "./bucket";
import { issue, RelationError, type RelationIssue } from "./errors";
import { REL_SLOTS, Symbols } from "./symbols";
import { parseObject, parseUser, type RelationTuple } from "./tuple";

/** What a tuple carries beyond its key; absent for the common unconditional, non-expiring tuple. */
export interface TupleMeta {
  condition?: { name: string; context?: Record<string, unknown> };
  expiresAt?: number;
}

/** Reverse-index slot: relation and object type of the objects that name a subject. */
export function reverseSlot(relationId: number, objectTypeId: number): number {
  return relationId * 65536 + objectTypeId;
}

/**
 * The in-memory tuple index, updated incrementally by `write` and `delete` (no rebuilds).
 *
 * - `direct[relationId]`: object → plain subjects (objects, including `type:*` wildcard objects);
 * - `usersets[relationId]`: object → userset subjects (`object#relation` keys), kept apart so a check
 *   on a group with 10k members never scans the members to find nested groups;
 * - `reverse`: subject key → (relation, object type) → objects, for listObjects;
 * - `meta`: condition and expiry, only for the tuples that have them, by bucket (`objectId * REL_SLOTS + relationId`).
 *
 * The forward index has one map per relation rather than one keyed by (object, relation): a check reads one
 * relation's map, which is smaller than the whole index and so more often in cache.
 *
 * It knows nothing of a model: callers validate tuples with `validateTuple` before writing, and
 * evaluation ignores stored tuples that a later model no longer allows (as OpenFGA does).
 */
export class TupleStore {
  readonly symbols: Symbols;
  readonly direct: (Map<number, Bucket> | undefined)[] = [];
  readonly usersets: (Map<number, Bucket> | undefined)[] = [];
  readonly reverse = new Map<number, Map<number, Bucket>>();
  readonly meta = new Map<number, Map<number, TupleMeta>>();
  private count = 0;

  /** With a parent, an overlay for one request's contextual tuples: it shares the parent's names. */
  constructor(parent?: TupleStore) {
    this.symbols = new Symbols(parent?.symbols);
  }

  get size(): number {
    return this.count;
  }

  /** Plain subjects (object ids) of (object, relation). */
  directOf(objectId: number, relationId: number): Bucket | undefined {
    return this.direct[relationId]?.get(objectId);
  }

  /** Userset subjects (`objectId * REL_SLOTS + relationId` keys) of (object, relation). */
  usersetsOf(objectId: number, relationId: number): Bucket | undefined {
    return this.usersets[relationId]?.get(objectId);
  }

  /** Adds or replaces tuples (a replaced tuple keeps its key and takes the new condition and expiry). Returns how many were new. */
  write(tuples: readonly RelationTuple[]): number {
    const keys = tuples.map((t, i) => this.keyOf(t, `tuples[${i}]`, true));
    let added = 0;
    for (let i = 0; i < tuples.length; i++) {
      const k = keys[i]!;
      if (this.insert(k.objectId, k.relationId, k.subject, k.objectType, k.isUserset, metaOf(tuples[i]!)))
        added++;
    }
    return added;
  }

  /** Removes tuples; absent ones are ignored. Returns how many were removed. */
  delete(tuples: readonly RelationTuple[]): number {
    let removed = 0;
    tuples.forEach((t, i) => {
      const k = this.keyOf(t, `tuples[${i}]`, false);
      if (k && this.remove(k.objectId, k.relationId, k.subject, k.objectType, k.isUserset)) removed++;
    });
    return removed;
  }

  has(tuple: RelationTuple): boolean {
    const k = this.keyOf(tuple, "tuple", false);
    if (!k) return false;
    return k.isUserset
      ? bucketHas(this.usersetsOf(k.objectId, k.relationId), k.subject)
      : bucketHas(this.directOf(k.objectId, k.relationId), k.subject / REL_SLOTS);
  }

  /** Every stored tuple, for persistence or export; order is unspecified. */
  *tuples(): IterableIterator<RelationTuple> {
    for (const index of [this.direct, this.usersets]) {
      const scale = index === this.direct ? REL_SLOTS : 1;
      for (let rel = 0; rel < index.length; rel++) {
        const map = index[rel];
        if (map === undefined) continue;
        const relation = this.symbols.relationName(rel);
        for (const [objectId, stored] of map) {
          const object = this.symbols.objectName(objectId);
          const bucket = objectId * REL_SLOTS + rel;
          for (const value of bucketValues(stored)) {
            const subject = value * scale;
            const t: RelationTuple = { object, relation, user: this.symbols.subjectName(subject) };
            const m = this.meta.get(bucket)?.get(subject);
            if (m?.condition) t.condition = m.condition;
            if (m?.expiresAt !== undefined) t.expiresAt = m.expiresAt;
            yield t;
          }
        }
      }
    }
  }

  private keyOf(t: RelationTuple, path: string, intern: true): TupleIndexKey;
  private keyOf(t: RelationTuple, path: string, intern: false): TupleIndexKey | null;
  private keyOf(t: RelationTuple, path: string, intern: boolean): TupleIndexKey | null {
    const problems: RelationIssue[] = [];
    const object = parseObject(t?.object);
    const user = parseUser(t?.user);
    if (!object || object.id === "*")
      problems.push(issue("INVALID_TUPLE", `invalid object '${t?.object}'`, `${path}.object`));
    if (!user) problems.push(issue("INVALID_TUPLE", `invalid user '${t?.user}'`, `${path}.user`));
    if (typeof t?.relation !== "string" || !/^[^\s:#@]+$/.test(t.relation)) {
      problems.push(issue("INVALID_TUPLE", `invalid relation '${t?.relation}'`, `${path}.relation`));
    }
    if (problems.length > 0 || !object || !user) {
      if (intern) throw new RelationError(problems);
      return null;
    }
    const s = this.symbols;
    const userName = user.relation === undefined ? t.user : `${user.type}:${user.id}`;
    let objectId: number;
    let userObjectId: number;
    let relationId: number;
    let userRelationId = 0;
    if (intern) {
      objectId = s.internObject(t.object, object.type, false);
      userObjectId = s.internObject(userName, user.type, user.wildcard);
      relationId = s.internRelation(t.relation);
      if (user.relation !== undefined) userRelationId = s.internRelation(user.relation);
    } else {
      objectId = s.objectId(t.object);
      userObjectId = s.objectId(userName);
      relationId = s.relationId(t.relation);
      if (user.relation !== undefined) userRelationId = s.relationId(user.relation);
      if (objectId < 0 || userObjectId < 0 || relationId < 0 || userRelationId < 0) return null;
    }
    return {
      objectId,
      relationId,
      subject: userObjectId * REL_SLOTS + userRelationId,
      objectType: s.objectType(objectId),
      isUserset: user.relation !== undefined,
    };
  }

  private insert(
    objectId: number,
    relationId: number,
    subject: number,
    objectType: number,
    isUserset: boolean,
    meta: TupleMeta | null,
  ): boolean {
    const index = isUserset ? this.usersets : this.direct;
    let forward = index[relationId];
    if (forward === undefined) {
      // Fill the gaps so the array stays a plain (non-dictionary) one.
      while (index.length < relationId) index.push(undefined);
      forward = new Map();
      index[relationId] = forward;
    }
    const stored = isUserset ? subject : subject / REL_SLOTS;
    const current = forward.get(objectId);
    const isNew = !bucketHas(current, stored);
    const bucket = objectId * REL_SLOTS + relationId;
    if (isNew) {
      const next = bucketAdd(current, stored);
      if (next !== current) forward.set(objectId, next);
      let bySlot = this.reverse.get(subject);
      if (!bySlot) {
        bySlot = new Map();
        this.reverse.set(subject, bySlot);
      }
      const slot = reverseSlot(relationId, objectType);
      const objects = bySlot.get(slot);
      const nextObjects = bucketAdd(objects, objectId);
      if (nextObjects !== objects) bySlot.set(slot, nextObjects);
      this.count++;
    }
    // Meta is keyed by subject key, which (unlike the stored value) is unique across plain and userset subjects.
    const metaKey = subject;
    if (meta) {
      let m = this.meta.get(bucket);
      if (!m) {
        m = new Map();
        this.meta.set(bucket, m);
      }
      m.set(metaKey, meta);
    } else if (!isNew) {
      this.dropMeta(bucket, metaKey);
    }
    return isNew;
  }

  private remove(
    objectId: number,
    relationId: number,
    subject: number,
    objectType: number,
    isUserset: boolean,
  ): boolean {
    const forward = (isUserset ? this.usersets : this.direct)[relationId];
    const stored = isUserset ? subject : subject / REL_SLOTS;
    const current = forward?.get(objectId);
    if (forward === undefined || !bucketHas(current, stored)) return false;
    const next = bucketRemove(current, stored);
    if (next === undefined) forward.delete(objectId);
    else if (next !== current) forward.set(objectId, next);
    const bySlot = this.reverse.get(subject);
    if (bySlot) {
      const slot = reverseSlot(relationId, objectType);
      const objects = bucketRemove(bySlot.get(slot), objectId);
      if (objects === undefined) bySlot.delete(slot);
      else bySlot.set(slot, objects);
      if (bySlot.size === 0) this.reverse.delete(subject);
    }
    this.dropMeta(objectId * REL_SLOTS + relationId, subject);
    this.count--;
    return true;
  }

  private dropMeta(bucket: number, key: number): void {
    const m = this.meta.get(bucket);
    if (m?.delete(key) && m.size === 0) this.meta.delete(bucket);
  }

  /** Number of subjects directly under (object, relation); used by explain and tests. */
  fanOut(objectId: number, relationId: number): number {
    return (
      bucketSize(this.directOf(objectId, relationId)) + bucketSize(this.usersetsOf(objectId, relationId))
    );
  }
}

interface TupleIndexKey {
  objectId: number;
  relationId: number;
  subject: number;
  objectType: number;
  isUserset: boolean;
}

function metaOf(t: RelationTuple): TupleMeta | null {
  const hasCondition = t.condition && typeof t.condition.name === "string" && t.condition.name !== "";
  const hasExpiry = typeof t.expiresAt === "number";
  if (!hasCondition && !hasExpiry) return null;
  const m: TupleMeta = {};
  if (hasCondition)
    m.condition = t.condition!.context
      ? { name: t.condition!.name, context: t.condition!.context }
      : { name: t.condition!.name };
  if (hasExpiry) m.expiresAt = t.expiresAt;
  return m;
}
