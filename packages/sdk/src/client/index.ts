export { MAX_BATCH, TesseraClient, type TesseraClientOptions, toIso } from "./client";
export * from "./errors";
export { collect, MembersClient, paginate, ResourceClient } from "./resources";
export type { FetchLike, RequestOptions, TransportOptions } from "./transport";
export * from "./types";
