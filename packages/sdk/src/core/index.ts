export * from "./catalog";
export * from "./decision";
export * from "./effective";
export { evaluate } from "./evaluate";
export * from "./flags";
export * from "./hash";
export * from "./lookup";
export * from "./reasons";
/** The relationship engine, as a namespace: its `check`, `CheckRequest`… would collide with the evaluator's. */
export * as relations from "./relations";
export * from "./routes";
export * from "./snapshot";
export * from "./time";
export * from "./types";
