// Maps method and path to a handler. Patterns are literal segments and `{name}` parameters
// ("/v1/items/{guid}/bom"); a parameter matches one whole segment, percent-decoded, and a last
// segment "*" matches the rest of the path (any number of segments). Routes are
// added at start and only read afterwards, so matching is safe from any thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http/request.h"

namespace arenite::http {

using Handler = std::function<Reply(Request&)>;

struct RouteOptions {
  // Runs on the I/O thread instead of the handler pool; only for handlers that never block
  // (no store access, no disk, no network).
  bool on_io_thread = false;
  // A short read: a few indexed look-ups of one object (and its fixed parts) in the store.
  // It runs on the I/O thread too, which saves the two thread hand-offs of the handler pool,
  // the larger part of such a request's cost. Such a handler may read the store (in WAL mode
  // a read never waits for the writer) but must never write or wait for a write; lists,
  // searches and anything whose work grows with the data stay on the pool.
  bool short_read = false;
  // When set (and neither flag above is), asked on the I/O thread for each request: true runs
  // the handler there, false on the pool. It must be quick and never block; for a route whose
  // requests block only sometimes (a cache miss).
  std::function<bool(const Request&)> on_io_thread_if = nullptr;
};

struct Route {
  std::string method;
  std::string pattern;
  std::vector<std::string> segments;
  Handler handler;
  RouteOptions options;
  // Derived from `segments` when the route is added.
  std::vector<bool> parameter;  // whether segment i is a {name}
  size_t fixed = 0;             // segments before a last "*", or all of them
  bool rest = false;            // the last segment is "*"
};

class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});

  // Finds the route for the request and fills request.route and request.params. On no match
  // returns nullptr and sets *status to 404, or to 405 with *allow naming the methods.
  const Route* Match(Request& request, int* status, std::string* allow) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  // The routes a path of n segments can match, in the order they were added: by_count_[n] for n
  // up to the longest fixed route, `rest_` (the "*" routes) beyond it.
  const std::vector<size_t>& Candidates(size_t n) const;

  std::vector<Route> routes_;
  std::vector<std::vector<size_t>> by_count_;
  std::vector<size_t> rest_;
};

}  // namespace arenite::http
