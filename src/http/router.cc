#include "http/router.h"

#include <algorithm>

#include "core/percent.h"

namespace arenite::http {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 1;
  if (path.empty() || path[0] != '/') return out;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  Route route{std::move(method), pattern, {}, std::move(handler), options};
  for (auto seg : Split(pattern)) {
    route.segments.emplace_back(seg);
    route.parameter.push_back(seg.size() > 2 && seg.front() == '{' && seg.back() == '}');
  }
  route.rest = !route.segments.empty() && route.segments.back() == "*";
  route.fixed = route.segments.size() - (route.rest ? 1 : 0);
  routes_.push_back(std::move(route));

  // Routes are added at start only, so the index is simply built again.
  size_t longest = 0;
  for (const Route& r : routes_) longest = std::max(longest, r.fixed);
  by_count_.assign(longest + 1, {});
  rest_.clear();
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Route& r = routes_[i];
    if (r.rest) rest_.push_back(i);
    for (size_t n = 0; n <= longest; ++n) {
      if (r.rest ? n >= r.fixed : n == r.fixed) by_count_[n].push_back(i);
    }
  }
}

const std::vector<size_t>& Router::Candidates(size_t n) const {
  return n < by_count_.size() ? by_count_[n] : rest_;
}

const Route* Router::Match(Request& request, int* status, std::string* allow) const {
  auto segments = Split(request.path);
  allow->clear();
  // Among the routes that match, the one with the most literal segments wins, so that
  // "/v1/changes/statuschanges" beats "/v1/changes/{guid}".
  const Route* best = nullptr;
  int best_literals = -1;
  std::map<std::string, std::string, std::less<>> best_params;
  for (size_t index : Candidates(segments.size())) {
    const Route& route = routes_[index];
    size_t fixed = route.fixed;
    // Literal segments first: most routes differ there, and comparing costs no allocation.
    bool matched = true;
    int literals = 0;
    for (size_t i = 0; i < fixed && matched; ++i) {
      if (route.parameter[i]) continue;
      matched = route.segments[i] == segments[i];
      ++literals;
    }
    if (!matched) continue;
    std::map<std::string, std::string, std::less<>> params;
    for (size_t i = 0; i < fixed && matched; ++i) {
      const std::string& want = route.segments[i];
      if (!route.parameter[i]) continue;
      auto decoded = PercentDecode(segments[i], false);
      if (!decoded || decoded->empty()) {
        matched = false;
      } else {
        params.emplace(want.substr(1, want.size() - 2), std::move(*decoded));
      }
    }
    if (!matched) continue;
    // HEAD is answered by the GET route, without the body (RFC 9110 section 9.3.2).
    bool head_of_get = request.method == "HEAD" && route.method == "GET";
    if (route.method != request.method && !head_of_get) {
      if (allow->find(route.method) == std::string::npos) {
        if (!allow->empty()) *allow += ", ";
        *allow += route.method;
      }
      continue;
    }
    if (literals > best_literals) {
      best = &route;
      best_literals = literals;
      best_params = std::move(params);
    }
  }
  if (best) {
    request.route = best->pattern;
    request.params = std::move(best_params);
    return best;
  }
  *status = allow->empty() ? 404 : 405;
  return nullptr;
}

}  // namespace arenite::http
