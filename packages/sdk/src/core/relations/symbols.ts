import { NameTable, NOT_FOUND } from "./name-table";

/**
 * Interning of type, relation and object names to small integers, so that the index keys are numbers:
 * `objectId * REL_SLOTS + relationId` names both an (object, relation) bucket and the userset `object#relation`.
 * Relation id 0 means "the object itself", so a plain subject's key is `objectId * REL_SLOTS`.
 */
export const REL_SLOTS = 1024;

/** Ids handed out by an overlay (contextual tuples of one request) start here, clear of any base id. */
export const OVERLAY_BASE = 2 ** 40;

export const NO_ID = NOT_FOUND;

export class Symbols {
  private readonly parent: Symbols | null;
  private readonly typeIds: Map<string, number>;
  private readonly typeNames: string[];
  private readonly relationIds: Map<string, number>;
  private readonly relationNames: string[];
  private readonly objectIds: NameTable;
  private readonly objectNames: string[] = [];
  /** Type id of each object, by id (less the base): a typed array, compact and cheap to read at random. */
  private objectTypes = new Int32Array(64);
  private readonly wildcards: number[] = [];
  private readonly idBase: number;

  /** With a parent, this is an overlay: objects fall back to the parent, types and relations are shared. */
  constructor(parent?: Symbols) {
    this.parent = parent ?? null;
    this.idBase = parent ? OVERLAY_BASE : 0;
    this.typeIds = parent ? parent.typeIds : new Map();
    this.typeNames = parent ? parent.typeNames : [];
    this.relationIds = parent ? parent.relationIds : new Map([["", 0]]);
    this.relationNames = parent ? parent.relationNames : [""];
    // An overlay hashes as its parent does, so a name is hashed once for both.
    this.objectIds = parent
      ? new NameTable(parent.objectIds.seed, this.objectNames)
      : new NameTable((Math.random() * 2 ** 32) | 0, this.objectNames, 1024);
  }

  typeId(name: string): number {
    return this.typeIds.get(name) ?? NO_ID;
  }

  internType(name: string): number {
    let id = this.typeIds.get(name);
    if (id === undefined) {
      id = this.typeNames.length;
      this.typeIds.set(name, id);
      this.typeNames.push(name);
    }
    return id;
  }

  typeName(id: number): string {
    return this.typeNames[id] ?? "";
  }

  relationId(name: string): number {
    return this.relationIds.get(name) ?? NO_ID;
  }

  internRelation(name: string): number {
    let id = this.relationIds.get(name);
    if (id === undefined) {
      id = this.relationNames.length;
      if (id >= REL_SLOTS) throw new RangeError(`more than ${REL_SLOTS - 1} distinct relation names`);
      this.relationIds.set(name, id);
      this.relationNames.push(name);
    }
    return id;
  }

  relationName(id: number): string {
    return this.relationNames[id] ?? "";
  }

  /** The id of an object name; NO_ID when no tuple names it (or `name` is not a string). */
  objectId(name: string): number {
    if (typeof name !== "string") return NO_ID;
    return this.objectIdHashed(name, this.objectIds.hash(name));
  }

  private objectIdHashed(name: string, hash: number): number {
    const own = this.objectIds.get(name, hash);
    if (own !== NO_ID) return this.idBase + own;
    return this.parent === null ? NO_ID : this.parent.objectIdHashed(name, hash);
  }

  /** `name` is `type:id`; `type` must be the part before the first colon. */
  internObject(name: string, type: string, wildcard: boolean): number {
    const hash = this.objectIds.hash(name);
    const known = this.objectIdHashed(name, hash);
    if (known !== NO_ID) return known;
    const id = this.idBase + this.objectNames.length;
    const typeId = this.internType(type);
    this.objectNames.push(name);
    this.objectIds.add(name, hash, id - this.idBase);
    const index = this.objectNames.length - 1;
    if (index >= this.objectTypes.length) {
      const grown = new Int32Array(this.objectTypes.length * 2);
      grown.set(this.objectTypes);
      this.objectTypes = grown;
    }
    this.objectTypes[index] = typeId;
    if (wildcard) this.wildcards[typeId] = id;
    return id;
  }

  objectName(id: number): string {
    if (id < this.idBase) return this.parent ? this.parent.objectName(id) : "";
    return this.objectNames[id - this.idBase] ?? "";
  }

  objectType(id: number): number {
    if (id < this.idBase) return this.parent ? this.parent.objectType(id) : NO_ID;
    const index = id - this.idBase;
    return index < this.objectNames.length ? this.objectTypes[index]! : NO_ID;
  }

  /** The object id of `type:*`, or NO_ID when no tuple ever named it. */
  wildcardOf(typeId: number): number {
    const own = this.wildcards[typeId];
    if (own !== undefined) return own;
    return this.parent ? this.parent.wildcardOf(typeId) : NO_ID;
  }

  isWildcard(id: number): boolean {
    const typeId = this.objectType(id);
    return typeId !== NO_ID && this.wildcardOf(typeId) === id;
  }

  /** `object` or `object#relation` for a subject key. */
  subjectName(key: number): string {
    const rel = key % REL_SLOTS;
    const obj = (key - rel) / REL_SLOTS;
    return rel === 0 ? this.objectName(obj) : `${this.objectName(obj)}#${this.relationName(rel)}`;
  }

  get objectCount(): number {
    return this.objectNames.length;
  }
}
