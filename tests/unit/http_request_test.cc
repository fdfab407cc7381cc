// Request parsing (target, query, cookies, forms, percent-decoding) and routing.
#include <gtest/gtest.h>

#include "core/percent.h"
#include "http/request.h"
#include "http/router.h"

namespace arenite::http {
namespace {

TEST(ParseTarget, SplitsPathAndDecodesTheQuery) {
  Request r;
  ASSERT_TRUE(ParseTarget("/v1/items?limit=5&name=a%20b+c&empty=&flag", r).ok());
  EXPECT_EQ(r.path, "/v1/items");
  EXPECT_EQ(r.target, "/v1/items?limit=5&name=a%20b+c&empty=&flag");
  EXPECT_EQ(r.Query("limit"), "5");
  EXPECT_EQ(r.Query("name"), "a b c");
  EXPECT_EQ(r.Query("empty"), "");
  EXPECT_EQ(r.Query("flag"), "");
  EXPECT_FALSE(r.Query("missing").has_value());
}

TEST(ParseTarget, KeepsThePathEncodedAndTakesTheFirstOfRepeatedNames) {
  Request r;
  ASSERT_TRUE(ParseTarget("/v1/a%2Fb?x=1&x=2&&y=%3D", r).ok());
  EXPECT_EQ(r.path, "/v1/a%2Fb");
  EXPECT_EQ(r.Query("x"), "1");
  EXPECT_EQ(r.Query("y"), "=");
  EXPECT_EQ(r.query.size(), 3u);
}

TEST(ParseTarget, RefusesWhatIsNotAnOriginFormTarget) {
  for (const char* bad : {"", "v1/items", "http://host/v1", "*", "/a b", "/%zz", "/%4", "/x?y=%",
                          "/x?y=%G0", "/x#frag"}) {
    Request r;
    auto s = ParseTarget(bad, r);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().status, 400) << bad;
  }
}

TEST(ParseTarget, RefusesTooManyParameters) {
  std::string target = "/x?";
  for (int i = 0; i < 1100; ++i) target += "a=1&";
  Request r;
  EXPECT_FALSE(ParseTarget(target, r).ok());
}

TEST(ParseForm, DecodesPlusAndEscapesAndRefusesBrokenOnes) {
  auto form = ParseForm("email=ann%40x.test&password=a+b%2Bc&decision=allow");
  ASSERT_TRUE(form.ok());
  ASSERT_EQ(form->size(), 3u);
  EXPECT_EQ((*form)[0], (std::pair<std::string, std::string>{"email", "ann@x.test"}));
  EXPECT_EQ((*form)[1].second, "a b+c");
  EXPECT_TRUE(ParseForm("").ok());
  EXPECT_FALSE(ParseForm("a=%").ok());
  EXPECT_FALSE(ParseForm("a=%2").ok());
  EXPECT_FALSE(ParseForm("%XY=1").ok());
  auto nul = ParseForm("a=%00");
  ASSERT_TRUE(nul.ok());
  EXPECT_EQ((*nul)[0].second, std::string(1, '\0'));
}

// PercentDecode copies the runs between escapes whole; every string of up to five characters
// from an alphabet of escapes, hex and non-hex digits, '+' and plain text decodes as one
// character at a time would, with '+' a space or not.
TEST(PercentDecode, DecodesEveryShortStringAsOneCharacterAtATimeWould) {
  auto reference = [](std::string_view text, bool plus) -> std::optional<std::string> {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '%') {
        if (i + 2 >= text.size()) return std::nullopt;
        int hi = HexDigitValue(text[i + 1]), lo = HexDigitValue(text[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        out.push_back(plus && text[i] == '+' ? ' ' : text[i]);
      }
    }
    return out;
  };
  const std::string alphabet = "%+2fAgz ";
  size_t checked = 0, decoded = 0;
  std::string text;
  auto check = [&](auto& self, size_t length) -> void {
    for (bool plus : {false, true}) {
      auto got = PercentDecode(text, plus);
      ASSERT_EQ(got, reference(text, plus)) << '"' << text << "\" plus " << plus;
      ++checked;
      decoded += got.has_value();
    }
    if (length == 5) return;
    for (char c : alphabet) {
      text.push_back(c);
      self(self, length + 1);
      text.pop_back();
    }
  };
  check(check, 0);
  EXPECT_EQ(checked, 2u * (1 + 8 + 64 + 512 + 4096 + 32768));
  EXPECT_GT(decoded, checked / 2);
  EXPECT_EQ(PercentDecode("a%2Fb+c%41", true), "a/b cA");
  EXPECT_EQ(PercentDecode("a%2Fb+c%41", false), "a/b+cA");
}

TEST(UrlEncode, EncodesEverythingButUnreservedCharacters) {
  EXPECT_EQ(UrlEncode("a b/c?d=e&f~g.h_i-j"), "a%20b%2Fc%3Fd%3De%26f~g.h_i-j");
  EXPECT_EQ(UrlEncode("\xff"), "%FF");
  auto back = ParseForm("v=" + UrlEncode("x+y z%"));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)[0].second, "x+y z%");
}

TEST(Headers, CompareNamesCaseInsensitivelyAndKeepOrder) {
  Headers h;
  h.Add("Content-Type", "application/json");
  h.Add("X-A", "1");
  h.Add("x-a", "2");
  EXPECT_EQ(h.Get("content-type"), "application/json");
  EXPECT_EQ(h.Get("X-a"), "1");
  h.Set("X-A", "3");
  EXPECT_EQ(h.Get("x-a"), "3");
  EXPECT_EQ(h.All().size(), 3u);
  EXPECT_FALSE(h.Get("missing").has_value());
}

TEST(Cookie, FindsTheNamedCookieAmongOthers) {
  Request r;
  r.headers.Add("Cookie", "a=1; arenite_session=tok=en;b=2;  c");
  EXPECT_EQ(r.Cookie("arenite_session"), "tok=en");
  EXPECT_EQ(r.Cookie("b"), "2");
  EXPECT_EQ(r.Cookie("a"), "1");
  EXPECT_FALSE(r.Cookie("c").has_value());
  EXPECT_FALSE(r.Cookie("arenite").has_value());
  Request none;
  EXPECT_FALSE(none.Cookie("a").has_value());
}

TEST(ErrorReply, RendersTheErrorBody) {
  Reply reply = ErrorReply(MakeError(409, 3025, "taken \xff"));
  EXPECT_EQ(reply.status, 409);
  EXPECT_EQ(reply.content_type, "application/json");
  auto body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body["status"], 409);
  EXPECT_EQ(body["errors"][0]["code"], 3025);
  EXPECT_TRUE(body["errors"][0]["message"].is_string());
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    auto named = [](std::string name) {
      return [name](Request&) { return TextReply(200, "text/plain", name); };
    };
    router_.Add("GET", "/v1/items", named("list"));
    router_.Add("POST", "/v1/items", named("create"));
    router_.Add("GET", "/v1/items/{guid}", named("get"));
    router_.Add("PUT", "/v1/items/{guid}", named("put"));
    router_.Add("GET", "/v1/items/{guid}/bom/{line}", named("line"));
    router_.Add("GET", "/v1/changes/{guid}", named("change"));
    router_.Add("POST", "/v1/changes/statuschanges", named("status"));
    router_.Add("GET", "/v1/changes/statuschanges", named("status-list"));
  }

  // Routes the request and runs the handler; returns its name or "404"/"405 <allow>".
  std::string Route(const std::string& method, const std::string& target, Request* out = nullptr) {
    Request r;
    r.method = method;
    EXPECT_TRUE(ParseTarget(target, r).ok()) << target;
    int status = 0;
    std::string allow;
    const http::Route* route = router_.Match(r, &status, &allow);
    if (out) *out = r;
    if (!route) return status == 405 ? "405 " + allow : std::to_string(status);
    return route->handler(r).body;
  }

  Router router_;
};

TEST_F(RouterTest, MatchesLiteralAndParameterSegments) {
  EXPECT_EQ(Route("GET", "/v1/items"), "list");
  EXPECT_EQ(Route("POST", "/v1/items"), "create");
  Request r;
  EXPECT_EQ(Route("GET", "/v1/items/ABC/bom/7?x=1", &r), "line");
  EXPECT_EQ(r.Param("guid"), "ABC");
  EXPECT_EQ(r.Param("line"), "7");
  EXPECT_EQ(r.Param("nothing"), "");
  EXPECT_EQ(r.route, "/v1/items/{guid}/bom/{line}");
}

TEST_F(RouterTest, DecodesParametersAndRefusesBrokenOrEmptyOnes) {
  Request r;
  EXPECT_EQ(Route("GET", "/v1/items/a%2Fb%20c", &r), "get");
  EXPECT_EQ(r.Param("guid"), "a/b c");
  EXPECT_EQ(Route("GET", "/v1/items/"), "404");
  EXPECT_EQ(Route("GET", "/v1/items//bom/1"), "404");
}

TEST_F(RouterTest, UnknownPathsAre404AndWrongMethods405WithAllow) {
  EXPECT_EQ(Route("GET", "/v1/nothing"), "404");
  EXPECT_EQ(Route("GET", "/"), "404");
  EXPECT_EQ(Route("GET", "/v1/items/x/y"), "404");
  EXPECT_EQ(Route("GET", "/v1/items/extra/segments/here/too"), "404");
  EXPECT_EQ(Route("DELETE", "/v1/items"), "405 GET, POST");
  EXPECT_EQ(Route("DELETE", "/v1/items/ABC"), "405 GET, PUT");
  EXPECT_EQ(Route("BREW", "/v1/items/ABC"), "405 GET, PUT");
}

TEST_F(RouterTest, ALiteralSegmentBeatsAParameter) {
  EXPECT_EQ(Route("POST", "/v1/changes/statuschanges"), "status");
  EXPECT_EQ(Route("GET", "/v1/changes/statuschanges"), "status-list");
  EXPECT_EQ(Route("GET", "/v1/changes/ABC"), "change");
  // The parameter route does not take a method the literal route refuses.
  EXPECT_EQ(Route("PUT", "/v1/changes/statuschanges"), "405 GET, POST");
}

TEST_F(RouterTest, HeadIsAnsweredByTheGetRoute) {
  EXPECT_EQ(Route("HEAD", "/v1/items"), "list");
  EXPECT_EQ(Route("HEAD", "/v1/items/ABC"), "get");
  EXPECT_EQ(Route("HEAD", "/v1/nothing"), "404");
}

TEST_F(RouterTest, MethodsAreCaseSensitive) {
  EXPECT_EQ(Route("get", "/v1/items"), "405 GET, POST");
}

}  // namespace
}  // namespace arenite::http
