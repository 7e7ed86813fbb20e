// The web console's files served by the real vaultd (GET /ui/...): the
// security headers on every answer, content types, 404 for unknown files,
// and no inline script or style in any served file (the CSP forbids them,
// so an inline one would be both a bug and a hole if the CSP were relaxed).
#include <regex>

#include "api/internal/console_files.h"
#include "tests/api/vaultd_http_fixture.h"

namespace vault::testing {
namespace {

using ConsoleHttpTest = VaultdHttpTest;

constexpr char kCsp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void ExpectSecurityHeaders(HttpResult& r) {
  EXPECT_EQ(r.headers["content-security-policy"], kCsp);
  EXPECT_EQ(r.headers["x-frame-options"], "DENY");
  EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(r.headers["referrer-policy"], "no-referrer");
  EXPECT_EQ(r.headers["cache-control"], "no-store");
}

TEST_P(ConsoleHttpTest, IndexIsServedWithoutAKeyAndWithTheSecurityHeaders) {
  HttpResult r = Call("GET", "/ui/");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
  ExpectSecurityHeaders(r);
  EXPECT_NE(r.body.find(R"(<script type="module" src="app.js"></script>)"), std::string::npos);
  EXPECT_EQ(Call("GET", "/ui/index.html").body, r.body);

  HttpResult redirect = Call("GET", "/ui");
  EXPECT_EQ(redirect.status, 308);
  EXPECT_EQ(redirect.headers["location"], "/ui/");
  ExpectSecurityHeaders(redirect);
}

TEST_P(ConsoleHttpTest, EveryFileHasItsContentTypeAndNoInlineScriptOrStyle) {
  ASSERT_GE(api::internal::ConsoleFiles().size(), 3u);
  const std::regex inline_script(R"(<script(?![^>]*\bsrc=)[^>]*>)", std::regex::icase);
  const std::regex inline_style(R"(<style|\sstyle=|\son[a-z]+=)", std::regex::icase);
  for (const api::internal::ConsoleFile& file : api::internal::ConsoleFiles()) {
    const std::string name(file.name);
    SCOPED_TRACE(name);
    HttpResult r = Call("GET", "/ui/" + name);
    ASSERT_EQ(r.status, 200);
    ExpectSecurityHeaders(r);
    EXPECT_EQ(r.body, std::string(file.content));
    const std::string ext = name.substr(name.rfind('.'));
    const std::string type = ext == ".html" ? "text/html; charset=utf-8"
                             : ext == ".js" ? "text/javascript; charset=utf-8"
                                            : "text/css; charset=utf-8";
    EXPECT_EQ(r.headers["content-type"], type);
    if (ext == ".html") {
      EXPECT_FALSE(std::regex_search(r.body, inline_script));
      EXPECT_FALSE(std::regex_search(r.body, inline_style));
    }
    if (ext == ".js") {
      EXPECT_EQ(r.body.find("innerHTML"), std::string::npos);
    }
  }
}

TEST_P(ConsoleHttpTest, UnknownFilesAre404WithTheSecurityHeaders) {
  for (const char* path : {"/ui/nope.js", "/ui/..%2Fvaultd.conf", "/ui/%2e%2e", "/ui/app.js.map"}) {
    SCOPED_TRACE(path);
    HttpResult r = Call("GET", path);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(ErrorCode(r), "NOT_FOUND");
    ExpectSecurityHeaders(r);
  }
  EXPECT_EQ(Call("GET", "/ui/a/b").status, 404);
  EXPECT_EQ(Call("POST", "/ui/").status, 405);
}

INSTANTIATE_TEST_SUITE_P(Http, ConsoleHttpTest, ::testing::Values(false));

}  // namespace
}  // namespace vault::testing
