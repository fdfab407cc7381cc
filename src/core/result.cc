#include "core/result.h"

namespace arenite {

Error MakeError(int status, int code, std::string message) {
  return Error{status, code, std::move(message), {}};
}

Error BadRequest(std::string message, int code) {
  return MakeError(400, code, std::move(message));
}

Error NotFound(std::string message) { return MakeError(404, kErrNotFound, std::move(message)); }

Error Conflict(std::string message, int code) { return MakeError(409, code, std::move(message)); }

Error Forbidden(std::string message) { return MakeError(403, kErrForbidden, std::move(message)); }

Error Unauthorized(std::string message, int code) {
  return MakeError(401, code, std::move(message));
}

Error Internal(std::string message) { return MakeError(500, kErrInternal, std::move(message)); }

}  // namespace arenite
