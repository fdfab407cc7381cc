// The error codes that appear in the `errors[].code` field of every error body. Where the Arena
// REST API has a code for the situation, arenite uses Arena's number, so that integrations that
// branch on codes keep working; codes 9000 and up are arenite's own. docs/ERRORS.md is the
// table with their meanings; keep the two in step.
#pragma once

namespace arenite {

// Arena's generic codes.
inline constexpr int kErrBadRequest = 400;  // the format of the request is not valid
inline constexpr int kErrInvalidJson = 400;
inline constexpr int kErrUnauthenticated = 401;  // no or invalid session or token
inline constexpr int kErrNotFoundPath = 404;     // no resource at this path
inline constexpr int kErrMethodNotAllowed = 405;
inline constexpr int kErrUnavailable = 503;
inline constexpr int kErrInternal = 3000;  // a system error occurred

// Arena's validation and lookup codes.
inline constexpr int kErrMissingField = 3001;  // the attribute "x" is required
inline constexpr int kErrInvalidValue = 3003;  // the value for the attribute "x" is not valid
inline constexpr int kErrUnknownField = 3004;  // the attribute "x" is not recognized
inline constexpr int kErrInvalidGuid = 3011;
inline constexpr int kErrNotFound = 3012;  // the requested object is not found
inline constexpr int kErrNotSearchable = 3019;
inline constexpr int kErrDuplicate = 3025;  // a number that must be unique is taken
inline constexpr int kErrBomCycle = 3037;   // an item would contain itself
inline constexpr int kErrInvalidPagination = 3041;
inline constexpr int kErrIllegalTransition = 3075;
inline constexpr int kErrForbidden = 3085;  // no privileges for the requested operation

// Arena's access codes.
inline constexpr int kErrLoginFailed = 4001;
inline constexpr int kErrLoginThrottled = 4083;
inline constexpr int kErrRequestLimit = 4084;
inline constexpr int kErrInvalidToken = 4089;

// arenite's own.
inline constexpr int kErrSessionExpired = 9001;
inline constexpr int kErrInsufficientScope = 9002;
inline constexpr int kErrTokenInQuery = 9003;
inline constexpr int kErrCsrf = 9004;
inline constexpr int kErrUserInactive = 9005;
inline constexpr int kErrConflict = 9006;  // the request conflicts with the current state
inline constexpr int kErrInUse = 9007;     // still referenced by other objects
inline constexpr int kErrBodyTooLarge = 9008;
inline constexpr int kErrHeadersTooLarge = 9009;
inline constexpr int kErrUnsupportedMediaType = 9010;
inline constexpr int kErrRateLimited = 9011;  // per-client limits, e.g. the token endpoint
inline constexpr int kErrLengthRequired = 9012;

}  // namespace arenite
