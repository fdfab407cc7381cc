// The Workspace Settings web pages: one HTML shell for every page under /settings and the
// static assets (CSS and JavaScript modules) under /assets/<version>/, all compiled into the
// binary. The pages talk only to the /v1 API with the browser session cookie. Registration
// happens once at start; the handlers only read immutable tables and are safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "http/router.h"

namespace arenite::web {

// The Content-Security-Policy of every page: nothing from elsewhere, no inline script or
// style, never framed.
inline constexpr char kPageCsp[] =
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'";

// The version segment of asset URLs: a digest of every embedded asset, so that a new build's
// assets get new URLs and old ones can be cached for ever.
const std::string& AssetVersion();

// The embedded asset at `name` (relative to src/web/assets/), or nullptr.
struct Asset {
  std::string_view data;
  std::string content_type;
  std::string etag;  // a strong validator, quoted
};
const Asset* FindAsset(std::string_view name);

// GET / (to the settings), GET /settings and /settings/* (the shell page) and
// GET /assets/{version}/* (the assets), with ETag revalidation.
void RegisterPages(http::Router& router);

}  // namespace arenite::web
