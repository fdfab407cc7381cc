#include "web/pages.h"

#include <map>

#include "core/crypto.h"
#include "core/embedded.h"

namespace arenite::web {
namespace {

constexpr std::string_view kAssetDir = "src/web/assets/";
constexpr std::string_view kShell = "index.html";

std::string ContentTypeOf(std::string_view name) {
  auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

struct Tables {
  std::map<std::string, Asset, std::less<>> assets;
  std::string version;
  std::string shell;  // index.html with its asset URLs filled in
  std::string shell_etag;
};

const Tables& GetTables() {
  static const Tables tables = [] {
    Tables t;
    std::string all;
    for (const embedded::File& f : embedded::Files()) {
      if (f.path.substr(0, kAssetDir.size()) != kAssetDir) continue;
      std::string name(f.path.substr(kAssetDir.size()));
      std::string digest = crypto::Sha256Hex(f.data);
      all += name + "\n" + digest + "\n";
      t.assets.emplace(name,
                       Asset{f.data, ContentTypeOf(name), "\"" + digest.substr(0, 32) + "\""});
    }
    t.version = crypto::Sha256Hex(all).substr(0, 16);
    auto shell = t.assets.find(kShell);
    std::string html = shell == t.assets.end() ? std::string() : std::string(shell->second.data);
    const std::string placeholder = "{{assets}}";
    const std::string prefix = "/assets/" + t.version;
    for (size_t at = html.find(placeholder); at != std::string::npos;
         at = html.find(placeholder, at + prefix.size())) {
      html.replace(at, placeholder.size(), prefix);
    }
    t.shell = std::move(html);
    t.shell_etag = "\"" + t.version + "\"";
    return t;
  }();
  return tables;
}

// True when the request's If-None-Match names `etag` (or is "*").
bool NotModified(const http::Request& request, std::string_view etag) {
  auto sent = request.Header("If-None-Match");
  if (!sent) return false;
  std::string_view list = *sent;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.substr(0, 2) == "W/") item.remove_prefix(2);
    if (item == etag || item == "*") return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

http::Reply Cached(const http::Request& request, std::string_view body, std::string content_type,
                   std::string_view etag, std::string cache_control) {
  http::Reply reply;
  reply.headers.Set("Cache-Control", std::move(cache_control));
  reply.headers.Set("ETag", std::string(etag));
  if (NotModified(request, etag)) {
    reply.status = 304;
    reply.content_type.clear();
    return reply;
  }
  reply.content_type = std::move(content_type);
  reply.body = std::string(body);
  return reply;
}

http::Reply ShellPage(const http::Request& request) {
  const Tables& t = GetTables();
  if (t.shell.empty()) {
    return http::ErrorReply(NotFound("the web pages are not built into this binary"));
  }
  // The shell is small and names the current asset version: revalidate it every time.
  http::Reply reply =
      Cached(request, t.shell, "text/html; charset=utf-8", t.shell_etag, "no-cache");
  reply.headers.Set("Content-Security-Policy", kPageCsp);
  reply.headers.Set("X-Frame-Options", "DENY");
  reply.headers.Set("Referrer-Policy", "same-origin");
  return reply;
}

http::Reply SeeOther(std::string location) {
  http::Reply reply;
  reply.status = 303;
  reply.content_type.clear();
  reply.headers.Set("Location", std::move(location));
  return reply;
}

}  // namespace

const std::string& AssetVersion() { return GetTables().version; }

const Asset* FindAsset(std::string_view name) {
  const Tables& t = GetTables();
  auto it = t.assets.find(name);
  return it == t.assets.end() ? nullptr : &it->second;
}

void RegisterPages(http::Router& router) {
  GetTables();  // build the tables at start, not on the first request
  http::RouteOptions io{.on_io_thread = true};
  router.Add(
      "GET", "/", [](http::Request&) { return SeeOther("/settings"); }, io);
  router.Add(
      "GET", "/settings", [](http::Request& r) { return ShellPage(r); }, io);
  router.Add(
      "GET", "/settings/*", [](http::Request& r) { return ShellPage(r); }, io);
  router.Add(
      "GET", "/assets/{version}/*",
      [](http::Request& request) {
        const std::string& version = request.Param("version");
        std::string_view path = request.path;
        std::string prefix = "/assets/" + version + "/";
        std::string_view name =
            path.size() > prefix.size() ? path.substr(prefix.size()) : std::string_view();
        const Asset* asset = name == kShell ? nullptr : FindAsset(name);
        if (!asset) return http::ErrorReply(NotFound("no such asset"));
        // Under the current version an asset never changes; under another (a page loaded
        // before an upgrade) it is today's file, which must not be cached as that version's.
        std::string cache =
            version == AssetVersion() ? "public, max-age=31536000, immutable" : "no-cache";
        http::Reply reply = Cached(request, asset->data, asset->content_type, asset->etag, cache);
        reply.headers.Set("Cross-Origin-Resource-Policy", "same-origin");
        return reply;
      },
      io);
}

}  // namespace arenite::web
