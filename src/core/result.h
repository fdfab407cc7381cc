// Result<T>: a value or a typed Error, the way every component reports failure. No exception
// crosses a component boundary; an Error carries the HTTP status, the arenite error code
// (docs/ERRORS.md) and a message that is safe to show to the client.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "core/errors.h"

namespace arenite {

struct Error {
  int status = 500;
  int code = kErrInternal;
  std::string message;
  // For OAuth endpoints: the RFC 6749 error string ("invalid_grant"); empty elsewhere.
  std::string oauth_error;
};

Error MakeError(int status, int code, std::string message);
Error BadRequest(std::string message, int code = kErrBadRequest);
Error NotFound(std::string message = "not found");
Error Conflict(std::string message, int code = kErrConflict);
Error Forbidden(std::string message = "not permitted");
Error Unauthorized(std::string message, int code = kErrUnauthenticated);
Error Internal(std::string message = "internal error");

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Status is a Result with no value.
struct Ok {};
using Status = Result<Ok>;
inline Status OkStatus() { return Ok{}; }

}  // namespace arenite

// Returns the error of `expr` (a Result) from the enclosing function when it failed.
#define ARENITE_RETURN_IF_ERROR(expr)            \
  do {                                           \
    auto arenite_status_ = (expr);               \
    if (!arenite_status_.ok()) {                 \
      return std::move(arenite_status_).error(); \
    }                                            \
  } while (false)

#define ARENITE_CONCAT_INNER(a, b) a##b
#define ARENITE_CONCAT(a, b) ARENITE_CONCAT_INNER(a, b)

// ARENITE_ASSIGN_OR_RETURN(auto x, Compute()): binds the value or returns the error.
#define ARENITE_ASSIGN_OR_RETURN(lhs, expr) \
  ARENITE_ASSIGN_OR_RETURN_IMPL(ARENITE_CONCAT(arenite_result_, __LINE__), lhs, expr)
#define ARENITE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) {                                    \
    return std::move(tmp).error();                    \
  }                                                   \
  lhs = std::move(tmp).value()
