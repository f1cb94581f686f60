export * from "./app-error";
export * from "./job-state";
export * from "./pipeline";
export * from "./report";
export * from "./webhook-events";
export * from "./tune";
