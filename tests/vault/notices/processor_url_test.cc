// Tests for ParseProcessorUrl: https anywhere, http only to loopback hosts,
// and a refusal (naming the url field, never echoing it) for every other
// shape.
#include "vault/notices/processor_url.h"

#include <gtest/gtest.h>

namespace vault {
namespace {

TEST(ProcessorUrlTest, HttpsWithPortPathAndQueryParses) {
  absl::StatusOr<ProcessorUrl> u = ParseProcessorUrl("https://Hooks.Example.com:8443/v1/erase?x=1");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "hooks.example.com");
  EXPECT_FALSE(u->host_is_ip);
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/v1/erase?x=1");
}

TEST(ProcessorUrlTest, DefaultsArePort443AndRootPath) {
  absl::StatusOr<ProcessorUrl> u = ParseProcessorUrl("https://example.com");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/");
}

TEST(ProcessorUrlTest, HttpToLoopbackHostsIsAccepted) {
  for (const char* url : {"http://127.0.0.1:9000/n", "http://localhost/n", "http://127.8.9.10/",
                          "http://[::1]:8080/n", "HTTP://LOCALHOST:1/"}) {
    absl::StatusOr<ProcessorUrl> u = ParseProcessorUrl(url);
    ASSERT_TRUE(u.ok()) << url << ": " << u.status();
    EXPECT_FALSE(u->tls) << url;
  }
  absl::StatusOr<ProcessorUrl> v6 = ParseProcessorUrl("http://[::1]:8080/n");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_TRUE(v6->host_is_ip);
  EXPECT_EQ(v6->port, 8080);
}

TEST(ProcessorUrlTest, HttpToOtherHostsIsRefused) {
  for (const char* url : {"http://example.com/", "http://10.0.0.1/", "http://128.0.0.1/",
                          "http://127.0.0.1.example.com/", "http://[::2]/",
                          "http://localhost.evil/", "http://169.254.169.254/latest/meta-data"}) {
    absl::StatusOr<ProcessorUrl> u = ParseProcessorUrl(url);
    ASSERT_FALSE(u.ok()) << url;
    EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(u.status().message().rfind("url ", 0), 0U) << u.status();
    EXPECT_NE(u.status().message().find("loopback"), std::string_view::npos) << url;
  }
}

TEST(ProcessorUrlTest, MalformedUrlsAreRefusedWithoutEchoingThem) {
  for (const char* url :
       {"", "example.com/x", "ftp://example.com/", "https://", "https://user:pw@example.com/",
        "https://example.com:0/", "https://example.com:65536/", "https://example.com:/",
        "https://example.com:80x/", "https://exa mple.com/", "https://example.com/a b",
        "https://example.com/#frag", "https://[::1/", "https://ex_ample.com/",
        "javascript:alert(1)"}) {
    absl::StatusOr<ProcessorUrl> u = ParseProcessorUrl(url);
    ASSERT_FALSE(u.ok()) << "accepted: " << url;
    EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(u.status().message().rfind("url ", 0), 0U) << u.status();
    if (std::string_view(url).size() > 8) {
      EXPECT_EQ(u.status().message().find(url), std::string_view::npos);
    }
  }
  EXPECT_FALSE(ParseProcessorUrl("https://example.com/" + std::string(2100, 'a')).ok());
}

TEST(ProcessorUrlTest, LoopbackHosts) {
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.255.255.254"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.256"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("example.com"));
}

}  // namespace
}  // namespace vault
