import { TesseraError } from "./errors";
import type { Query, RequestOptions, Transport } from "./transport";
import type { MemberItem, Page, PageOptions, TenantPageOptions, Timestamps } from "./types";

/**
 * create/list/get/update/delete for one management resource. One generic class rather than ten
 * hand-written ones: the API treats every resource the same way, so the client does too.
 */
export class ResourceClient<Item, CreateInput = Item, ListPage extends PageOptions = PageOptions> {
  constructor(
    private readonly transport: Transport,
    private readonly collection: string,
  ) {}

  create(input: CreateInput, options?: RequestOptions): Promise<Item & Timestamps> {
    return this.transport.request("POST", `/v1/${this.collection}`, input, undefined, options);
  }

  /** `ListPage` offers `tenantId` only where the server filters by it (see ListOptions in types.ts). */
  list(page?: ListPage, options?: RequestOptions): Promise<Page<Item & Timestamps>> {
    return this.transport.request("GET", `/v1/${this.collection}`, undefined, pageQuery(page), options);
  }

  /** Every item, following `nextCursor` one page at a time, so a large list is never held at once. */
  listAll(page?: Omit<ListPage, "cursor">, options?: RequestOptions): AsyncIterable<Item & Timestamps> {
    return paginate((cursor) => this.list({ ...page, cursor } as ListPage, options));
  }

  /** Throws a TesseraApiError with status 404 when there is no such item. */
  async get(id: string, options?: RequestOptions): Promise<Item & Timestamps> {
    return this.transport.request("GET", this.itemPath(id), undefined, undefined, options);
  }

  /** A partial update: only the fields given change. A key or id cannot be changed. */
  async update(
    id: string,
    patch: Partial<CreateInput>,
    options?: RequestOptions,
  ): Promise<Item & Timestamps> {
    return this.transport.request("PATCH", this.itemPath(id), patch, undefined, options);
  }

  async delete(id: string, options?: RequestOptions): Promise<void> {
    await this.transport.requestNoContent("DELETE", this.itemPath(id), undefined, undefined, options);
  }

  private itemPath(id: string): string {
    return `/v1/${this.collection}/${segment(id)}`;
  }
}

/** A tenant's members: a user's roles in one tenant, set as a whole. */
export class MembersClient {
  constructor(private readonly transport: Transport) {}

  /** Creates or replaces the user's membership (PUT is idempotent). */
  async set(
    tenantId: string,
    userId: string,
    roles: string[],
    options?: RequestOptions,
  ): Promise<MemberItem> {
    return this.transport.request("PUT", memberPath(tenantId, userId), { roles }, undefined, options);
  }

  /** Throws a TesseraApiError with status 404 when the user is not a member. */
  async get(tenantId: string, userId: string, options?: RequestOptions): Promise<MemberItem> {
    return this.transport.request("GET", memberPath(tenantId, userId), undefined, undefined, options);
  }

  // The tenant is in the path; the members list takes no `tenantId` query parameter.
  async list(tenantId: string, page?: PageOptions, options?: RequestOptions): Promise<Page<MemberItem>> {
    return this.transport.request("GET", membersPath(tenantId), undefined, pageQuery(page), options);
  }

  listAll(
    tenantId: string,
    page?: Omit<PageOptions, "cursor">,
    options?: RequestOptions,
  ): AsyncIterable<MemberItem> {
    return paginate((cursor) => this.list(tenantId, { ...page, cursor }, options));
  }

  async remove(tenantId: string, userId: string, options?: RequestOptions): Promise<void> {
    await this.transport.requestNoContent(
      "DELETE",
      memberPath(tenantId, userId),
      undefined,
      undefined,
      options,
    );
  }
}

/** Walks pages until one comes back without `nextCursor`. */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  const seen = new Set<string>();
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    cursor = page.nextCursor || undefined;
    // A server bug that hands back a cursor twice would otherwise loop forever.
    if (cursor !== undefined) {
      if (seen.has(cursor)) throw new TesseraError(`pagination repeated the cursor ${cursor}`);
      seen.add(cursor);
    }
  } while (cursor !== undefined);
}

/** Collects an async iterable into an array, for lists known to be small. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * The query of a list. `tenantId` is sent when given: the types offer it only on the lists that take it, and a
 * caller who gets past them (plain JS, a widened variable) gets the server's 400, not an unfiltered list.
 */
function pageQuery(page: TenantPageOptions | undefined): Query {
  return { cursor: page?.cursor, limit: page?.limit, tenantId: page?.tenantId };
}

function membersPath(tenantId: string): string {
  return `/v1/tenants/${segment(tenantId)}/members`;
}

function memberPath(tenantId: string, userId: string): string {
  return `${membersPath(tenantId)}/${segment(userId)}`;
}

/**
 * An id as one path segment. encodeURIComponent keeps any character from changing the path but `.`: an id
 * of `.` or `..` is a dot segment, which URL parsing removes (`%2E` too), so `members.remove("acme", "..")`
 * would send DELETE /v1/tenants/acme/. No key or id of the API can be one; they are refused here.
 */
function segment(id: string): string {
  if (id === "." || id === "..") throw new TypeError(`TesseraClient: "${id}" is not an id`);
  return encodeURIComponent(id);
}
