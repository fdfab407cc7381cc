// The Workspace Settings pages as served: the shell under /settings with its security headers,
// the versioned assets with their caching headers, and ETag revalidation.
#include <gtest/gtest.h>

#include "http/request.h"
#include "http/router.h"
#include "web/pages.h"

namespace arenite::web {
namespace {

class WebPages : public ::testing::Test {
 protected:
  void SetUp() override { RegisterPages(router_); }

  http::Reply Get(const std::string& target, const std::string& if_none_match = "") {
    http::Request request;
    request.method = "GET";
    EXPECT_TRUE(http::ParseTarget(target, request).ok()) << target;
    if (!if_none_match.empty()) request.headers.Set("If-None-Match", if_none_match);
    int status = 0;
    std::string allow;
    const http::Route* route = router_.Match(request, &status, &allow);
    if (!route) {
      http::Reply reply;
      reply.status = status;
      return reply;
    }
    return route->handler(request);
  }

  http::Router router_;
};

TEST_F(WebPages, EveryAssetIsBuiltInWithItsContentType) {
  ASSERT_NE(FindAsset("app.js"), nullptr);
  EXPECT_EQ(FindAsset("app.js")->content_type, "text/javascript; charset=utf-8");
  ASSERT_NE(FindAsset("app.css"), nullptr);
  EXPECT_EQ(FindAsset("app.css")->content_type, "text/css; charset=utf-8");
  ASSERT_NE(FindAsset("pages/oauthapps.js"), nullptr);
  EXPECT_EQ(FindAsset("nothing.js"), nullptr);
  EXPECT_EQ(AssetVersion().size(), 16u);
}

TEST_F(WebPages, TheShellNamesTheCurrentAssetsAndForbidsFramingAndInlineScript) {
  for (const char* path : {"/settings", "/settings/oauthapps", "/settings/webhooks/new"}) {
    http::Reply reply = Get(path);
    ASSERT_EQ(reply.status, 200) << path;
    EXPECT_EQ(reply.content_type, "text/html; charset=utf-8");
    EXPECT_NE(reply.body.find("/assets/" + AssetVersion() + "/app.js"), std::string::npos);
    EXPECT_EQ(reply.body.find("{{assets}}"), std::string::npos);
    auto csp = reply.headers.Get("Content-Security-Policy");
    ASSERT_TRUE(csp.has_value());
    EXPECT_NE(csp->find("default-src 'self'"), std::string::npos);
    EXPECT_NE(csp->find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(csp->find("unsafe-inline"), std::string::npos);
    EXPECT_EQ(reply.headers.Get("X-Frame-Options"), "DENY");
    EXPECT_EQ(reply.headers.Get("Cache-Control"), "no-cache");
  }
}

TEST_F(WebPages, TheShellRevalidatesWithItsETag) {
  http::Reply first = Get("/settings/users");
  auto etag = first.headers.Get("ETag");
  ASSERT_TRUE(etag.has_value());
  http::Reply again = Get("/settings/users", std::string(*etag));
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Get("/settings/users", "\"other\"").status, 200);
  EXPECT_EQ(Get("/settings/users", "\"other\", W/" + std::string(*etag)).status, 304);
}

TEST_F(WebPages, CurrentAssetsAreImmutableAndOthersRevalidate) {
  http::Reply js = Get("/assets/" + AssetVersion() + "/lib/api.js");
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.body, FindAsset("lib/api.js")->data);
  EXPECT_EQ(js.headers.Get("Cache-Control"), "public, max-age=31536000, immutable");
  ASSERT_TRUE(js.headers.Get("ETag").has_value());
  EXPECT_EQ(
      Get("/assets/" + AssetVersion() + "/lib/api.js", std::string(*js.headers.Get("ETag"))).status,
      304);
  // A page loaded before an upgrade asks for its old version: today's file, not cached as it.
  http::Reply old = Get("/assets/0123456789abcdef/lib/api.js");
  ASSERT_EQ(old.status, 200);
  EXPECT_EQ(old.headers.Get("Cache-Control"), "no-cache");
}

TEST_F(WebPages, UnknownAssetsAndTheShellTemplateAreNotServedAsAssets) {
  EXPECT_EQ(Get("/assets/" + AssetVersion() + "/nothing.js").status, 404);
  EXPECT_EQ(Get("/assets/" + AssetVersion() + "/index.html").status, 404);
  EXPECT_EQ(Get("/assets/" + AssetVersion() + "/../CMakeLists.txt").status, 404);
  EXPECT_EQ(Get("/assets/" + AssetVersion()).status, 404);
}

TEST_F(WebPages, TheRootLeadsToTheSettings) {
  http::Reply reply = Get("/");
  EXPECT_EQ(reply.status, 303);
  EXPECT_EQ(reply.headers.Get("Location"), "/settings");
}

}  // namespace
}  // namespace arenite::web
