/**
 * The error vocabulary clients see. Errors are raised below the GraphQL layer as `ProfileError`s
 * carrying `extensions`; GraphQL copies those onto the error it reports.
 */
export { badInput, ErrorCode, forbidden, ProfileError, quote, unauthenticated } from "../profile/errors.js";
