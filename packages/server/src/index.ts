export { type Config, loadConfig, SETTINGS } from "./config";
export { ERROR_STATUS, type ErrorCode, TesseraError } from "./errors";
export { createServices, createTessera, type Tessera } from "./server";
export { KyselyStore } from "./storage/kysely-store";
export type { Store } from "./storage/store";
