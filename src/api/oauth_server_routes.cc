#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <memory>
#include <variant>

#include "api/oauth_routes.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/metrics.h"
#include "oauth/rate_limit.h"
#include "web/pages.h"

namespace arenite::api {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

constexpr char kCsrfCookie[] = "arenite_oauth_csrf";
constexpr char kPageCsp[] = "default-src 'self'; frame-ancestors 'none'; form-action 'self'";

// ---- Token-endpoint style answers (RFC 6749 5.1 and 5.2) ----

http::Reply NoStore(http::Reply reply) {
  reply.headers.Set("Cache-Control", "no-store");
  reply.headers.Set("Pragma", "no-cache");
  return reply;
}

http::Reply OAuthErrorReply(const Error& e) {
  std::string error = e.oauth_error.empty() ? (e.status >= 500 ? "server_error" : "invalid_request")
                                            : e.oauth_error;
  int status = e.status >= 500 ? 500 : e.status;
  http::Reply reply = http::JsonReply(
      status, {{"error", error}, {"error_description", oauth::ErrorDescription(e.message)}});
  if (status == 401) reply.headers.Set("WWW-Authenticate", "Basic realm=\"arenite\"");
  return NoStore(std::move(reply));
}

// A request refused by a rate limit: 429, Retry-After, counted in the metrics. RFC 6749 has no
// error code for it at the token endpoint; temporarily_unavailable is the one it defines for
// the same condition at the authorization endpoint (section 4.1.2.1).
prometheus::Counter& RateLimited() {
  static prometheus::Counter& limited = prometheus::BuildCounter()
                                            .Name("arenite_oauth_rate_limited_total")
                                            .Help("OAuth endpoint requests refused with 429")
                                            .Register(metrics::Registry())
                                            .Add({});
  return limited;
}

http::Reply TooManyRequests(int64_t retry_after_seconds) {
  RateLimited().Increment();
  http::Reply reply = NoStore(http::JsonReply(
      429, {{"error", "temporarily_unavailable"},
            {"error_description", "too many requests; retry after the Retry-After delay"}}));
  reply.headers.Set("Retry-After", std::to_string(retry_after_seconds));
  return reply;
}

bool IsFormBody(const http::Request& request) {
  auto type = request.Header("Content-Type");
  std::string_view media = type ? *type : std::string_view();
  media = media.substr(0, media.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return media.size() == 33 &&
         strncasecmp(media.data(), "application/x-www-form-urlencoded", 33) == 0;
}

// The form parameters; invalid_request for a wrong media type or a repeated parameter.
Result<Params> ReadForm(const http::Request& request) {
  if (!IsFormBody(request)) {
    return oauth::OAuthError("invalid_request",
                             "the body must be application/x-www-form-urlencoded");
  }
  auto form = http::ParseForm(request.body);
  if (!form.ok()) return oauth::OAuthError("invalid_request", "the form body is malformed");
  for (size_t i = 0; i < form->size(); ++i) {
    for (size_t j = i + 1; j < form->size(); ++j) {
      if ((*form)[i].first == (*form)[j].first) {
        return oauth::OAuthError(
            "invalid_request",
            "the parameter '" + (*form)[i].first.substr(0, 40) + "' is repeated");
      }
    }
  }
  return std::move(form).value();
}

// A parameter's value; nullopt when it is absent or empty, since "parameters sent without a
// value MUST be treated as if they were omitted from the request" (RFC 6749 section 3.1).
// Count still counts an empty one, so that sending a parameter twice is refused either way.
std::optional<std::string> Get(const Params& params, std::string_view name) {
  for (const auto& [n, v] : params) {
    if (n == name) return v.empty() ? std::nullopt : std::optional<std::string>(v);
  }
  return std::nullopt;
}

int Count(const Params& params, std::string_view name) {
  int n = 0;
  for (const auto& p : params) n += p.first == name;
  return n;
}

// Whether a token request is a client_credentials grant that the token service can answer
// without the store (its client is cached), so that it may run on the I/O thread. Anything
// else, bad input included, goes to the handler pool; the answer is the same on either.
bool IssuesWithoutStore(oauth::TokenService& tokens, const http::Request& request) {
  // A quick look, not a parse: grant_type=client_credentials as one parameter of the body, and
  // the client from the Basic header or a client_id parameter without escapes.
  std::string_view body = request.body, client_id;
  bool client_credentials = false;
  while (!body.empty()) {
    std::string_view param = body.substr(0, body.find('&'));
    body.remove_prefix(std::min(body.size(), param.size() + 1));
    if (param == "grant_type=client_credentials") client_credentials = true;
    if (param.substr(0, 10) == "client_id=") client_id = param.substr(10);
  }
  if (!client_credentials || !IsFormBody(request)) return false;
  if (auto authorization = request.Header("Authorization")) {
    auto basic = oauth::ParseBasicAuthorization(*authorization);
    return basic && tokens.CanIssueWithoutStore(basic->client_id);
  }
  return !client_id.empty() && client_id.find_first_of("%+") == std::string_view::npos &&
         tokens.CanIssueWithoutStore(client_id);
}

oauth::ClientCredentials CredentialsOf(const http::Request& request, const Params& form) {
  oauth::ClientCredentials c;
  if (auto a = request.Header("Authorization")) {
    c.authorization = std::string(*a);
    c.basic = oauth::ParseBasicAuthorization(*a);
  }
  c.client_id = Get(form, "client_id");
  c.client_secret = Get(form, "client_secret");
  c.address = request.remote_address;
  return c;
}

// ---- HTML pages ----

std::string Html(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// scheme://host[:port] of a redirect URI, for a CSP source; empty when it holds anything but
// the characters a host and port are made of, so nothing can inject a directive.
std::string RedirectOrigin(const std::string& uri) {
  size_t scheme_end = uri.find("://");
  if (scheme_end == std::string::npos) return {};
  size_t host_end = uri.find_first_of("/?#", scheme_end + 3);
  std::string origin = uri.substr(0, host_end);
  for (char c : origin.substr(scheme_end + 3)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return {};
  }
  std::string scheme = origin.substr(0, scheme_end);
  if (scheme != "https" && scheme != "http") return {};
  return origin;
}

// The pages share the Workspace Settings stylesheet, so both sign-ins look the same.
http::Reply Page(int status, std::string_view title, const std::string& body) {
  std::string html = fmt::format(
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{} - arenite</title>\n"
      "<link rel=\"stylesheet\" href=\"/assets/{}/app.css\">\n</head>\n"
      "<body class=\"signin-page\">\n<header class=\"top\"><span class=\"brand\">arenite</span>"
      "</header>\n<main>\n<h1>{}</h1>\n<div class=\"card\">\n{}</div>\n</main>\n</body>\n"
      "</html>\n",
      Html(title), web::AssetVersion(), Html(title), body);
  http::Reply reply = http::TextReply(status, "text/html; charset=utf-8", std::move(html));
  reply.headers.Set("Content-Security-Policy", kPageCsp);
  reply.headers.Set("X-Frame-Options", "DENY");
  reply.headers.Set("Referrer-Policy", "no-referrer");
  return NoStore(std::move(reply));
}

http::Reply ErrorPage(int status, std::string_view message) {
  return Page(status, "Authorization failed",
              fmt::format("<p role=\"alert\">{}</p>\n<p>The application's sign-in link is not "
                          "valid. Contact the application's developer.</p>\n",
                          Html(message)));
}

// The authorization request's parameters, carried through the forms as hidden fields.
constexpr const char* kAuthorizeParams[] = {
    "response_type", "client_id",      "redirect_uri",         "scope",
    "state",         "code_challenge", "code_challenge_method"};

std::string HiddenFields(const Params& params) {
  std::string out;
  for (const char* name : kAuthorizeParams) {
    if (auto v = Get(params, name)) {
      out += fmt::format("<input type=\"hidden\" name=\"{}\" value=\"{}\">\n", name, Html(*v));
    }
  }
  return out;
}

std::string QueryOf(const Params& params) {
  std::string out;
  for (const char* name : kAuthorizeParams) {
    if (auto v = Get(params, name)) {
      out += (out.empty() ? "" : "&") + std::string(name) + "=" + http::UrlEncode(*v);
    }
  }
  return out;
}

std::string Cookie(std::string_view name, std::string_view value, std::string_view path) {
  return fmt::format("{}={}; Path={}; Secure; HttpOnly; SameSite=Lax", name, value, path);
}

// A checked authorization request (RFC 6749 4.1.1 with RFC 7636).
struct Authorization {
  oauth::App app;
  std::string redirect_uri;
  std::optional<std::string> state;
  oauth::ScopeSet scopes;
  std::string challenge;
};

// The outcome of checking: a valid request, an error page (client or redirect URI wrong), or
// an error to send back to the client's redirect URI.
struct Checked {
  std::optional<Authorization> ok;
  std::string page_error;
  std::string error, description;
  std::string redirect_uri;
  std::optional<std::string> state;
};

class AuthorizationPages {
 public:
  AuthorizationPages(oauth::TokenService& tokens, oauth::Apps& apps, workspace::Sessions& sessions)
      : tokens_(tokens), apps_(apps), sessions_(sessions) {}

  http::Reply Show(http::Request& request) {
    Params params = request.query;
    Checked c = Check(params);
    if (!c.ok) return Fail(c);
    auto session = SessionOf(request, c.ok->app);
    if (!session) return SignInPage(request, params, *c.ok, "", 200);
    return ConsentPage(params, *c.ok,
                       workspace::Sessions::CsrfToken(request.Cookie(kSessionCookie).value_or("")));
  }

  http::Reply SignIn(http::Request& request) {
    auto form = FormOrPage(request);
    if (!form.ok()) return ErrorPage(400, form.error().message);
    Checked c = Check(*form);
    if (!c.ok) return Fail(c);
    auto cookie = request.Cookie(kCsrfCookie);
    auto sent = Get(*form, "csrf");
    if (!cookie || !sent || cookie->empty() || !crypto::ConstantTimeEquals(*cookie, *sent)) {
      return SignInPage(request, *form, *c.ok, "Your sign-in form expired. Please try again.", 403);
    }
    workspace::LoginRequest login;
    login.email = Get(*form, "email").value_or("");
    login.password = Get(*form, "password").value_or("");
    // The app belongs to one workspace, so the sign-in is into that workspace.
    std::string ws = Get(*form, "workspaceId").value_or(c.ok->app.workspace_id);
    login.workspace_id = ws.empty() ? c.ok->app.workspace_id : ws;
    login.remote_address = request.remote_address;
    auto result = sessions_.Login(login);
    if (!result.ok()) {
      int status = result.error().status == 429 ? 429 : 400;
      std::string message =
          status == 429 ? result.error().message : "The email or password is not valid.";
      return SignInPage(request, *form, *c.ok, message, status);
    }
    if (result->workspace.guid != c.ok->app.workspace_id) {
      return SignInPage(request, *form, *c.ok,
                        "This account does not belong to the application's workspace.", 403);
    }
    http::Reply reply;
    reply.status = 303;
    reply.content_type.clear();
    reply.headers.Set("Location", "/oauth/authorize?" + QueryOf(*form));
    reply.headers.Add("Set-Cookie", Cookie(kSessionCookie, result->token, "/"));
    reply.headers.Add("Set-Cookie", std::string(kCsrfCookie) +
                                        "=; Path=/oauth; Max-Age=0; Secure; HttpOnly; "
                                        "SameSite=Lax");
    return NoStore(std::move(reply));
  }

  http::Reply Consent(http::Request& request) {
    auto form = FormOrPage(request);
    if (!form.ok()) return ErrorPage(400, form.error().message);
    Checked c = Check(*form);
    if (!c.ok) return Fail(c);
    auto cookie = request.Cookie(kSessionCookie);
    auto session = SessionOf(request, c.ok->app);
    if (!session || !cookie) return SignInPage(request, *form, *c.ok, "Please sign in.", 401);
    auto sent = Get(*form, "csrf");
    if (!sent || !crypto::ConstantTimeEquals(*sent, workspace::Sessions::CsrfToken(*cookie))) {
      return ErrorPage(403, "The consent form is not valid. Start again from the application.");
    }
    std::string decision = Get(*form, "decision").value_or("");
    if (decision == "deny") {
      return Redirect(c.ok->redirect_uri,
                      {{"error", "access_denied"}, {"error_description", "the user denied access"}},
                      c.ok->state);
    }
    if (decision != "allow") return ErrorPage(400, "The consent form is not valid.");
    // The code is bound to the redirect_uri as sent; none when the request had none (then the
    // token request must not send one either, RFC 6749 4.1.3).
    bool sent_uri = Get(*form, "redirect_uri").has_value();
    auto code = tokens_.IssueCode(c.ok->app, session->user_id, sent_uri ? c.ok->redirect_uri : "",
                                  c.ok->challenge, c.ok->scopes);
    if (!code.ok()) {
      return Redirect(c.ok->redirect_uri,
                      {{"error", "server_error"}, {"error_description", "cannot issue a code"}},
                      c.ok->state);
    }
    log::Get("oauth")->info("user {} granted {} to oauth app {}", session->user_id,
                            oauth::JoinScopes(c.ok->scopes), c.ok->app.client_id);
    return Redirect(c.ok->redirect_uri, {{"code", *code}}, c.ok->state);
  }

 private:
  Result<Params> FormOrPage(const http::Request& request) {
    if (!IsFormBody(request)) return BadRequest("The form was not sent as a form.");
    auto form = http::ParseForm(request.body);
    if (!form.ok()) return BadRequest("The form is malformed.");
    return std::move(form).value();
  }

  std::optional<Principal> SessionOf(const http::Request& request, const oauth::App& app) {
    auto cookie = request.Cookie(kSessionCookie);
    if (!cookie) return std::nullopt;
    auto p = sessions_.Validate(*cookie, workspace::AuthKind::kCookie);
    if (!p.ok() || p->workspace_id != app.workspace_id) return std::nullopt;
    return *p;
  }

  Checked Check(const Params& params) {
    Checked c;
    // First the client and its redirect URI: when either is wrong nothing may be redirected.
    auto client_id = Get(params, "client_id");
    if (!client_id || Count(params, "client_id") > 1) {
      c.page_error = "The request names no client (client_id).";
      return c;
    }
    auto app = apps_.FindByClientId(*client_id);
    if (!app.ok()) {
      c.page_error = "The application (client_id) is not known.";
      return c;
    }
    auto redirect_uri = Get(params, "redirect_uri");
    if (Count(params, "redirect_uri") > 1) {
      c.page_error = "The redirect_uri parameter is repeated.";
      return c;
    }
    if (!redirect_uri) {
      if (app->redirect_uris.size() != 1 || oauth::IsLoopbackRedirectUri(app->redirect_uris[0])) {
        c.page_error = "The request has no redirect_uri.";
        return c;
      }
      c.redirect_uri = app->redirect_uris[0];
    } else {
      bool matched = false;
      for (const auto& registered : app->redirect_uris) {
        matched = matched || oauth::RedirectUriMatches(registered, *redirect_uri);
      }
      if (!matched) {
        c.page_error = "The redirect_uri is not registered for this application.";
        return c;
      }
      c.redirect_uri = *redirect_uri;
    }
    c.state = Get(params, "state");

    // From here on, errors go back to the client.
    auto fail = [&](std::string error, std::string description) {
      c.error = std::move(error);
      c.description = std::move(description);
      return c;
    };
    for (const char* name : kAuthorizeParams) {
      if (Count(params, name) > 1) {
        return fail("invalid_request", std::string("the parameter ") + name + " is repeated");
      }
    }
    auto response_type = Get(params, "response_type");
    if (!response_type) return fail("invalid_request", "response_type is required");
    if (*response_type != "code") {
      return fail("unsupported_response_type", "only response_type=code is supported");
    }
    if (!app->AllowsGrant(oauth::kGrantAuthorizationCode)) {
      return fail("unauthorized_client", "this client may not use authorization_code");
    }
    auto challenge = Get(params, "code_challenge");
    if (!challenge) return fail("invalid_request", "PKCE is required: send code_challenge");
    if (Get(params, "code_challenge_method").value_or("") != "S256") {
      return fail("invalid_request", "code_challenge_method must be S256");
    }
    if (!oauth::IsValidCodeChallenge(*challenge)) {
      return fail("invalid_request", "code_challenge is not a base64url SHA-256 digest");
    }
    oauth::ScopeSet scopes = app->scopes;
    if (auto scope = Get(params, "scope"); scope && !scope->empty()) {
      auto parsed = oauth::ParseScope(*scope);
      if (!parsed || parsed->empty()) return fail("invalid_scope", "an unknown scope is requested");
      for (const auto& s : *parsed) {
        if (!app->scopes.count(s)) {
          return fail("invalid_scope", "the scope " + s + " is not allowed for this client");
        }
      }
      scopes = *parsed;
    }
    c.ok = Authorization{*app, c.redirect_uri, c.state, scopes, *challenge};
    return c;
  }

  http::Reply Fail(const Checked& c) {
    if (!c.page_error.empty()) return ErrorPage(400, c.page_error);
    return Redirect(
        c.redirect_uri,
        {{"error", c.error}, {"error_description", oauth::ErrorDescription(c.description)}},
        c.state);
  }

  // 303 to the client's redirect URI with the answer, state and iss (RFC 9207).
  http::Reply Redirect(const std::string& uri, Params answer,
                       const std::optional<std::string>& state) {
    if (state) answer.emplace_back("state", *state);
    answer.emplace_back("iss", tokens_.issuer());
    std::string location = uri + (uri.find('?') == std::string::npos ? "?" : "&");
    for (size_t i = 0; i < answer.size(); ++i) {
      if (i > 0) location.push_back('&');
      location += answer[i].first + "=" + http::UrlEncode(answer[i].second);
    }
    http::Reply reply;
    reply.status = 303;
    reply.content_type.clear();
    reply.headers.Set("Location", location);
    return NoStore(std::move(reply));
  }

  http::Reply SignInPage(const http::Request& request, const Params& params, const Authorization& a,
                         std::string_view message, int status) {
    std::string csrf = request.Cookie(kCsrfCookie).value_or("");
    bool fresh = csrf.size() != 43;
    if (fresh) csrf = crypto::RandomToken();
    std::string body = fmt::format(
        "<p>Sign in to your arenite workspace to continue to <strong>{}</strong>.</p>\n{}"
        "<form method=\"post\" action=\"/oauth/authorize/signin\">\n{}"
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">\n"
        "<input type=\"hidden\" name=\"workspaceId\" value=\"{}\">\n"
        "<p><label for=\"email\">Email</label><br>\n"
        "<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required "
        "value=\"{}\"></p>\n"
        "<p><label for=\"password\">Password</label><br>\n"
        "<input id=\"password\" name=\"password\" type=\"password\" "
        "autocomplete=\"current-password\" required></p>\n"
        "<p><button type=\"submit\">Sign in</button></p>\n</form>\n",
        Html(a.app.name),
        message.empty() ? "" : fmt::format("<p role=\"alert\">{}</p>\n", Html(message)),
        HiddenFields(params), csrf, Html(a.app.workspace_id),
        Html(Get(params, "email").value_or("")));
    http::Reply reply = Page(status, "Sign in", body);
    if (fresh) reply.headers.Add("Set-Cookie", Cookie(kCsrfCookie, csrf, "/oauth"));
    return reply;
  }

  http::Reply ConsentPage(const Params& params, const Authorization& a, const std::string& csrf) {
    std::string scopes;
    for (const auto& s : oauth::AllScopes()) {
      if (a.scopes.count(s)) scopes += fmt::format("<li><code>{}</code></li>\n", Html(s));
    }
    // The CSRF token is derived from the session cookie, which the page cannot read.
    std::string body = fmt::format(
        "<p><strong>{}</strong> asks for access to your workspace.</p>\n"
        "<p>{}</p>\n<h2>It will be able to use these scopes</h2>\n<ul>\n{}</ul>\n"
        "<p>It will return to <code>{}</code>.</p>\n"
        "<form method=\"post\" action=\"/oauth/authorize/consent\">\n{}"
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">\n"
        "<p><button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n"
        "<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></p>\n</form>\n",
        Html(a.app.name), Html(a.app.description), scopes, Html(a.redirect_uri),
        HiddenFields(params), Html(csrf));
    http::Reply page = Page(200, "Allow access?", body);
    // The consent form's answer redirects to the app, and browsers hold that redirect to the
    // page's form-action too: admit the redirect URI's origin.
    std::string origin = RedirectOrigin(a.redirect_uri);
    if (!origin.empty()) {
      page.headers.Set("Content-Security-Policy", std::string(kPageCsp) + " " + origin);
    }
    return page;
  }

  oauth::TokenService& tokens_;
  oauth::Apps& apps_;
  workspace::Sessions& sessions_;
};

}  // namespace

void RegisterOAuthServerRoutes(http::Router& router, oauth::TokenService& tokens, oauth::Apps& apps,
                               oauth::SigningKeys& keys, workspace::Sessions& sessions,
                               const Clock& clock, const OAuthServerLimits& limits) {
  const std::string issuer = tokens.issuer();
  auto per_client =
      std::make_shared<oauth::RateLimiter>(clock, limits.token_requests_per_client_per_minute, 60);
  auto per_address =
      std::make_shared<oauth::RateLimiter>(clock, limits.token_requests_per_address_per_minute, 60);
  // Public clients apart: their keys carry the address, so that many addresses can fill only
  // their own table, never push the confidential clients' windows out.
  auto per_public =
      std::make_shared<oauth::RateLimiter>(clock, limits.token_requests_per_client_per_minute, 60);
  RateLimited();  // listed in the metrics from the start, at 0
  auto metadata = [issuer](http::Request&) {
    json::Json doc = {
        {"issuer", issuer},
        {"authorization_endpoint", issuer + "/oauth/authorize"},
        {"token_endpoint", issuer + "/oauth/token"},
        {"jwks_uri", issuer + "/.well-known/jwks.json"},
        {"introspection_endpoint", issuer + "/oauth/introspect"},
        {"revocation_endpoint", issuer + "/oauth/revoke"},
        {"scopes_supported", oauth::AllScopes()},
        {"response_types_supported", {"code"}},
        {"response_modes_supported", {"query"}},
        {"grant_types_supported", {"authorization_code", "client_credentials", "refresh_token"}},
        {"code_challenge_methods_supported", {"S256"}},
        {"token_endpoint_auth_methods_supported",
         {"client_secret_basic", "client_secret_post", "none"}},
        {"introspection_endpoint_auth_methods_supported",
         {"client_secret_basic", "client_secret_post"}},
        {"revocation_endpoint_auth_methods_supported",
         {"client_secret_basic", "client_secret_post", "none"}},
        {"authorization_response_iss_parameter_supported", true},
        {"service_documentation", issuer + "/openapi.yaml"}};
    http::Reply reply = http::JsonReply(200, doc);
    reply.headers.Set("Cache-Control", "public, max-age=300");
    return reply;
  };
  router.Add("GET", "/.well-known/oauth-authorization-server", metadata);
  // An issuer with a path (a public URL behind a proxy, https://host/arena) has its metadata at
  // /.well-known/oauth-authorization-server/arena (RFC 8414 section 3.1).
  if (size_t scheme = issuer.find("://"); scheme != std::string::npos) {
    if (size_t path = issuer.find('/', scheme + 3); path != std::string::npos) {
      router.Add("GET", "/.well-known/oauth-authorization-server" + issuer.substr(path), metadata);
    }
  }
  router.Add("GET", "/.well-known/jwks.json", [&keys](http::Request&) {
    http::Reply reply = http::JsonReply(200, keys.Jwks());
    reply.content_type = "application/jwk-set+json";
    reply.headers.Set("Cache-Control", "public, max-age=300");
    return reply;
  });

  // Client authentication and rate limits shared by the three client endpoints, in this order:
  // read the form, take from the limit of the address, authenticate the client, take from the
  // limit of the client. A confidential client's own limit counts only requests that proved to
  // be from it, so that nobody can use up another client's limit with its client_id; failed
  // authentications count against their address. A public client proves nothing (its
  // client_id is all it sends), so its limit is counted per client and address: a stranger
  // spends only their own address's share. The answer is the form and the app, or the reply
  // that ends the request.
  struct Client {
    Params form;
    oauth::App app;
  };
  auto authenticated = [&tokens, per_client, per_public, per_address](
                           const http::Request& request) -> std::variant<http::Reply, Client> {
    auto form = ReadForm(request);
    if (!form.ok()) return OAuthErrorReply(form.error());
    if (int64_t wait = per_address->Take(request.remote_address); wait > 0) {
      return TooManyRequests(wait);
    }
    // Two Authorization fields are two sets of credentials, which RFC 6749 section 2.3 forbids;
    // otherwise the first would be used and the second ignored.
    if (request.headers.Count("Authorization") > 1) {
      return OAuthErrorReply(
          oauth::OAuthError("invalid_request", "send at most one Authorization header"));
    }
    auto app = tokens.AuthenticateClient(CredentialsOf(request, *form));
    if (!app.ok()) return OAuthErrorReply(app.error());
    int64_t wait = app->is_public ? per_public->Take(app->client_id + " " + request.remote_address)
                                  : per_client->Take(app->client_id);
    if (wait > 0) return TooManyRequests(wait);
    return Client{std::move(form).value(), std::move(app).value()};
  };

  router.Add(
      "POST", "/oauth/token",
      [&tokens, authenticated](http::Request& request) {
        auto client = authenticated(request);
        if (auto* refused = std::get_if<http::Reply>(&client)) return std::move(*refused);
        const auto& [form, app] = std::get<Client>(client);
        request.workspace_id = app.workspace_id;

        auto grant = Get(form, "grant_type");
        Result<oauth::TokenResponse> answer =
            oauth::OAuthError("invalid_request", "grant_type is required");
        std::optional<std::string> resource = Get(form, "resource");
        if (!resource) resource = Get(form, "audience");
        if (resource && *resource != tokens.ApiAudience()) {
          // Tokens for other audiences (webhook targets) are minted by arenite itself, never on a
          // client's request: a client could otherwise get tokens another tenant's receiver
          // accepts.
          answer = oauth::OAuthError("invalid_target",
                                     "resource must be this server's API: " + tokens.ApiAudience());
        } else if (!grant) {
          // answer stays invalid_request
        } else if (*grant == oauth::kGrantClientCredentials) {
          answer = tokens.ClientCredentialsGrant(app, Get(form, "scope"), resource);
        } else if (*grant == oauth::kGrantAuthorizationCode) {
          auto code = Get(form, "code");
          answer = code ? tokens.AuthorizationCodeGrant(app, *code, Get(form, "redirect_uri"),
                                                        Get(form, "code_verifier"), resource)
                        : Result<oauth::TokenResponse>(
                              oauth::OAuthError("invalid_request", "code is required"));
        } else if (*grant == oauth::kGrantRefreshToken) {
          auto refresh = Get(form, "refresh_token");
          answer = refresh ? tokens.RefreshTokenGrant(app, *refresh, Get(form, "scope"))
                           : Result<oauth::TokenResponse>(
                                 oauth::OAuthError("invalid_request", "refresh_token is required"));
        } else {
          answer = oauth::OAuthError("unsupported_grant_type",
                                     "grant_type must be authorization_code, client_credentials or "
                                     "refresh_token");
        }
        if (!answer.ok()) return OAuthErrorReply(answer.error());
        return NoStore(http::TextReply(200, "application/json", answer->Body()));
      },
      {.on_io_thread_if = [&tokens](const http::Request& r) {
        return IssuesWithoutStore(tokens, r);
      }});

  router.Add("POST", "/oauth/introspect", [&tokens, authenticated](http::Request& request) {
    auto client = authenticated(request);
    if (auto* refused = std::get_if<http::Reply>(&client)) return std::move(*refused);
    const auto& [form, app] = std::get<Client>(client);
    if (app.is_public) {
      return OAuthErrorReply(
          oauth::OAuthError("invalid_client", "introspection needs a confidential client", 401));
    }
    auto token = Get(form, "token");
    if (!token) return OAuthErrorReply(oauth::OAuthError("invalid_request", "token is required"));
    return NoStore(http::JsonReply(200, tokens.Introspect(app, *token)));
  });

  router.Add("POST", "/oauth/revoke", [&tokens, authenticated](http::Request& request) {
    auto client = authenticated(request);
    if (auto* refused = std::get_if<http::Reply>(&client)) return std::move(*refused);
    const auto& [form, app] = std::get<Client>(client);
    auto token = Get(form, "token");
    if (!token) return OAuthErrorReply(oauth::OAuthError("invalid_request", "token is required"));
    Status revoked = tokens.Revoke(app, *token);
    if (!revoked.ok()) return OAuthErrorReply(revoked.error());
    http::Reply reply = http::JsonReply(200, json::Json::object());
    return NoStore(std::move(reply));
  });

  auto pages = std::make_shared<AuthorizationPages>(tokens, apps, sessions);
  router.Add("GET", "/oauth/authorize", [pages](http::Request& r) { return pages->Show(r); });
  router.Add("POST", "/oauth/authorize/signin",
             [pages](http::Request& r) { return pages->SignIn(r); });
  router.Add("POST", "/oauth/authorize/consent",
             [pages](http::Request& r) { return pages->Consent(r); });
}

}  // namespace arenite::api
