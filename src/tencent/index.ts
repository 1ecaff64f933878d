export * from "./backoff.js";
export * from "./client.js";
export * from "./errors.js";
export * from "./json.js";
export * from "./limiter.js";
export * from "./portrait.js";
export * from "./regions.js";
export * from "./usersig.js";
