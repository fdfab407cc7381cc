#include "http/router.h"

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
  for (auto seg : Split(pattern)) route.segments.emplace_back(seg);
  routes_.push_back(std::move(route));
}

const Route* Router::Match(Request& request, int* status, std::string* allow) const {
  auto segments = Split(request.path);
  allow->clear();
  // Among the routes that match, the one with the most literal segments wins, so that
  // "/v1/changes/statuschanges" beats "/v1/changes/{guid}".
  const Route* best = nullptr;
  int best_literals = -1;
  std::map<std::string, std::string, std::less<>> best_params;
  for (const Route& route : routes_) {
    // A last segment "*" matches the rest of the path, however many segments it has.
    bool rest = !route.segments.empty() && route.segments.back() == "*";
    size_t fixed = route.segments.size() - (rest ? 1 : 0);
    if (rest ? segments.size() < fixed : segments.size() != fixed) continue;
    auto is_param = [](const std::string& want) {
      return want.size() > 2 && want.front() == '{' && want.back() == '}';
    };
    // Literal segments first: most routes differ there, and comparing costs no allocation.
    bool matched = true;
    int literals = 0;
    for (size_t i = 0; i < fixed && matched; ++i) {
      const std::string& want = route.segments[i];
      if (is_param(want)) continue;
      matched = want == segments[i];
      ++literals;
    }
    if (!matched) continue;
    std::map<std::string, std::string, std::less<>> params;
    for (size_t i = 0; i < fixed && matched; ++i) {
      const std::string& want = route.segments[i];
      if (!is_param(want)) continue;
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
