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
inline constexpr int kErrDuplicate = 3025;       // a number that must be unique is taken
inline constexpr int kErrInvalidBomLine = 3036;  // e.g. a reference designator range
inline constexpr int kErrBomCycle = 3037;        // an item would contain itself
inline constexpr int kErrInvalidPagination = 3041;
inline constexpr int kErrIllegalTransition = 3075;
inline constexpr int kErrForbidden = 3085;  // no privileges for the requested operation

// Arena's codes of the workspace data (items, BOMs, changes, suppliers).
inline constexpr int kErrAttributeUnknown = 2000;  // the additional attribute is not recognized
inline constexpr int kErrAttributeValue =
    2001;                                       // the value of an additional attribute is not valid
inline constexpr int kErrAttributeGuid = 2016;  // the additional attribute guid is not valid
inline constexpr int kErrAttributeNoGuid = 2017;  // additional attributes must specify a guid
inline constexpr int kErrInvalidCategory = 3002;  // the category guid is not valid
inline constexpr int kErrInvalidOption = 3006;  // the value is not a valid option for the attribute
inline constexpr int kErrStructuralCategory =
    3007;                                    // objects may not be assigned to a structural category
inline constexpr int kErrEmptyValue = 3020;  // the value for the attribute cannot be empty
inline constexpr int kErrNotEditable = 3032;      // the attribute is not editable
inline constexpr int kErrInvalidSupplier = 3043;  // the supplier is not valid for the supplier item
inline constexpr int kErrPrimaryAddress = 3044;   // only one primary address is allowed
inline constexpr int kErrSupplierName = 3049;     // the supplier name is not valid
inline constexpr int kErrApprovalStatus = 3050;   // the approval status is not valid
inline constexpr int kErrNumberFormat = 3216;     // the number format is not valid
inline constexpr int kErrNotWorkingRevision =
    3224;  // updates only on the working revision of an item
inline constexpr int kErrQuantityNotPositive = 3227;  // quantity must be positive
inline constexpr int kErrQuantityTooLarge = 3228;     // quantity must be smaller than a limit
inline constexpr int kErrSourcingNoSupplierItem =
    3243;  // non-make sourcing must name a manufacturer or vendor item
inline constexpr int kErrSourcingMakeWithItems =
    3244;  // make sourcing can not name manufacturer or vendor items
inline constexpr int kErrSourcingMfrItem = 3245;  // the manufacturer item must be a supplier item
inline constexpr int kErrSourcingVendorItem = 3246;  // the vendor item must be a supplier item
inline constexpr int kErrSourcingFactor =
    3247;  // vendorItemConversionFactor must be null without a vendor item
inline constexpr int kErrSourcingRank = 3249;    // only approved sourcing can be ranked or split
inline constexpr int kErrLockedByChange = 3066;  // the working revision is locked by a change
inline constexpr int kErrInactivePhase = 3284;   // the lifecycle phase is not active
inline constexpr int kErrUnreleasedOnTemporary =
    4002;  // an unreleased item cannot be added to a temporary change
inline constexpr int kErrItemInChange = 4005;  // the item is already in the change
inline constexpr int kErrEffectivityKind =
    4019;  // a change cannot move between permanent and temporary
inline constexpr int kErrChangeLocked =
    4020;  // the change cannot be updated at this lifecycle stage
inline constexpr int kErrNotWorkingRevisionForChange =
    4025;                                           // newItemRevision must be the working revision
inline constexpr int kErrStatusRequired = 4051;     // the attribute "status" is required
inline constexpr int kErrItemInOtherChange = 4061;  // the item is in another open change
inline constexpr int kErrChangeNotOpen = 4063;      // only while the change is Open and Unlocked
inline constexpr int kErrRevisionNotDerivable =
    4065;  // the revision number could not be auto-generated
inline constexpr int kErrRevisionNumberLength = 4066;  // the revision number is empty or too long
inline constexpr int kErrDuplicateSupplierId = 4501;   // the supplier identifier is taken
inline constexpr int kErrImplementationStatusMove =
    4900;  // implementationStatus only on a move into COMPLETED, EFFECTIVE or EXPIRED
inline constexpr int kErrImplementationStatus = 4999;  // invalid implementation status

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
