export * from "./client";
export * from "./core";
export * from "./middleware";
