// DecodeError / ToStatus / WireCode: vaultd's error answers keep their code.
#include "client/error.h"

#include <gtest/gtest.h>

#include "client/routes.h"

namespace vault::client {
namespace {

TEST(DecodeErrorTest, GoneAnswerKeepsItsWireCodeMessageAndRequestId) {
  ClientError e = DecodeError(
      410, R"({"error":{"code":"GONE","message":"subject erased","request_id":"r-1"}})");
  EXPECT_EQ(e.http_status, 410);
  EXPECT_EQ(e.code, "GONE");
  EXPECT_EQ(e.message, "subject erased");
  EXPECT_EQ(e.request_id, "r-1");
}

TEST(DecodeErrorTest, BodyThatIsNotAnErrorObjectGivesHttpCode) {
  for (const char* body : {"", "not json", "{}", R"({"error":{}})", R"({"other":1})"}) {
    ClientError e = DecodeError(502, body);
    EXPECT_EQ(e.code, "HTTP_502") << body;
    EXPECT_EQ(e.message, "no error details") << body;
    EXPECT_EQ(e.request_id, "") << body;
  }
}

TEST(DecodeErrorTest, StatusOfGoneIsNotFoundWithWireCodeGone) {
  absl::Status s = ErrorStatus(
      410, R"({"error":{"code":"GONE","message":"subject erased","request_id":"r-1"}})");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(WireCode(s), "GONE");
  EXPECT_EQ(HttpStatusOf(s), 410);
  EXPECT_EQ(s.message(), "GONE: subject erased (HTTP 410, request r-1)");
}

TEST(DecodeErrorTest, HeaderRequestIdWinsOverTheBodys) {
  absl::Status s = ErrorStatus(
      404, R"({"error":{"code":"NOT_FOUND","message":"m","request_id":"body"}})", "header");
  EXPECT_EQ(s.message(), "NOT_FOUND: m (HTTP 404, request header)");
}

TEST(DecodeErrorTest, NoRequestIdLeavesItOutOfTheMessage) {
  absl::Status s = ErrorStatus(409, R"({"error":{"code":"FAILED_PRECONDITION","message":"m"}})");
  EXPECT_EQ(s.message(), "FAILED_PRECONDITION: m (HTTP 409)");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(DecodeErrorTest, WireCodesMapToSensibleStatusCodes) {
  const std::pair<const char*, absl::StatusCode> cases[] = {
      {"INVALID_ARGUMENT", absl::StatusCode::kInvalidArgument},
      {"UNAUTHENTICATED", absl::StatusCode::kUnauthenticated},
      {"PERMISSION_DENIED", absl::StatusCode::kPermissionDenied},
      {"NOT_FOUND", absl::StatusCode::kNotFound},
      {"EXPIRED", absl::StatusCode::kNotFound},
      {"ALREADY_EXISTS", absl::StatusCode::kAlreadyExists},
      {"FAILED_PRECONDITION", absl::StatusCode::kFailedPrecondition},
      {"RESOURCE_EXHAUSTED", absl::StatusCode::kResourceExhausted},
      {"SEALED", absl::StatusCode::kUnavailable},
      {"UNAVAILABLE", absl::StatusCode::kUnavailable},
      {"UNIMPLEMENTED", absl::StatusCode::kUnimplemented},
      {"INTERNAL", absl::StatusCode::kInternal},
  };
  for (const auto& [code, expected] : cases) {
    ClientError e{400, code, "m", ""};
    absl::Status s = ToStatus(e);
    EXPECT_EQ(s.code(), expected) << code;
    EXPECT_EQ(WireCode(s), code);
  }
}

TEST(DecodeErrorTest, UnknownWireCodeFallsBackToTheHttpStatus) {
  absl::Status s = ErrorStatus(503, R"({"error":{"code":"NEW_CODE","message":"m"}})");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(WireCode(s), "NEW_CODE");
}

TEST(DecodeErrorTest, OtherStatusesHaveNoWireCode) {
  EXPECT_EQ(WireCode(absl::UnavailableError("server unreachable")), "");
  EXPECT_EQ(HttpStatusOf(absl::OkStatus()), 0);
}

TEST(RoutesTest, PathSegmentsArePercentEncoded) {
  EXPECT_EQ(Path({"v1", "tenants", "acme", "keys"}), "/v1/tenants/acme/keys");
  EXPECT_EQ(Path({"v1", "jobs", "a/b?c=d e%"}), "/v1/jobs/a%2Fb%3Fc%3Dd%20e%25");
  EXPECT_EQ(EncodePathSegment("A-z_0.9~"), "A-z_0.9~");
  EXPECT_EQ(EncodePathSegment("\xff"), "%FF");
}

}  // namespace
}  // namespace vault::client
