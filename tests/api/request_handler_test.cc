// The request handler as a plain function (no sockets): routing, the one
// status mapping, auth, request ids, JSON mapping details.
#include "api/request_handler.h"

#include <gtest/gtest.h>

#include "api/status_http.h"
#include "base/status.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/vault_fixture.h"
#include "vault/storage/memory_kv_store.h"

namespace vault::api {
namespace {

class RequestHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vault_ = vault::testing::OpenReadyVault(dir_.path(), &clock_, {"acme"},
                                            std::make_unique<storage::MemoryKvStore>());
    root_ = vault::testing::ReadRootKey(*vault_);
    handler_ = std::make_unique<RequestHandler>(vault_.get(), &metrics_);
  }
  HttpResponse Do(std::string method, std::string path, std::string body = "",
                  std::map<std::string, std::string> headers = {}, std::string query = "") {
    HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.query = std::move(query);
    r.body = std::move(body);
    r.headers = std::move(headers);
    return handler_->Handle(r);
  }
  std::map<std::string, std::string> Root() { return {{"authorization", "Bearer " + root_}}; }

  vault::testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Vault> vault_;
  Metrics metrics_;
  std::string root_;
  std::unique_ptr<RequestHandler> handler_;
};

TEST_F(RequestHandlerTest, HealthPrintsDefaultsAndGeneratesARequestId) {
  HttpResponse r = Do("GET", "/v1/sys/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"initialized":true,"sealed":false,"version":"0.1.0",)"
      R"("storage_health":{"ok":true,"error":"","writable":true,"reserve_released":false},"storage":"rocksdb",)"
      R"("node_id":""})");
  EXPECT_EQ(r.route, "/v1/sys/health");
  EXPECT_EQ(r.request_id.substr(0, 4), "req_");
  HttpResponse echoed = Do("GET", "/v1/sys/health", "", {{"x-request-id", "trace-7"}});
  EXPECT_EQ(echoed.request_id, "trace-7");
  HttpResponse replaced = Do("GET", "/v1/sys/health", "", {{"x-request-id", "bad id with spaces"}});
  EXPECT_NE(replaced.request_id, "bad id with spaces");
}

TEST_F(RequestHandlerTest, RoutingAndAuthErrors) {
  EXPECT_EQ(Do("GET", "/nowhere").status, 404);
  EXPECT_EQ(Do("PUT", "/v1/sys/health").status, 405);
  HttpResponse unauth = Do("GET", "/v1/tenants/acme");
  EXPECT_EQ(unauth.status, 401);
  EXPECT_NE(unauth.body.find(R"("code":"UNAUTHENTICATED")"), std::string::npos);
  EXPECT_EQ(Do("GET", "/v1/tenants/acme", "", Root()).status, 200);
  EXPECT_EQ(Do("GET", "/v1/tenants/%zz", "", Root()).status, 400);  // bad escape
  HttpResponse unknown_field = Do("POST", "/v1/tenants", R"({"id": "x", "colour": "red"})", Root());
  EXPECT_EQ(unknown_field.status, 400);
  EXPECT_EQ(Do("POST", "/v1/tenants", "", Root()).status, 400);  // no body = {} = missing id
}

TEST_F(RequestHandlerTest, EveryDomainStatusMapsOnce) {
  struct Case {
    absl::Status status;
    int http;
    std::string_view code;
  };
  const std::vector<Case> cases = {
      {absl::InvalidArgumentError("x"), 400, "INVALID_ARGUMENT"},
      {absl::UnauthenticatedError("x"), 401, "UNAUTHENTICATED"},
      {absl::PermissionDeniedError("x"), 403, "PERMISSION_DENIED"},
      {absl::NotFoundError("x"), 404, "NOT_FOUND"},
      {absl::AlreadyExistsError("x"), 409, "ALREADY_EXISTS"},
      {absl::FailedPreconditionError("x"), 409, "FAILED_PRECONDITION"},
      {GoneError("x"), 410, "GONE"},
      {absl::ResourceExhaustedError("x"), 429, "RESOURCE_EXHAUSTED"},
      {SealedError(), 503, "SEALED"},
      {absl::UnavailableError("x"), 503, "UNAVAILABLE"},
      {absl::DataLossError("x"), 500, "INTERNAL"},
      {absl::UnimplementedError("x"), 501, "UNIMPLEMENTED"},
  };
  for (const Case& c : cases) {
    HttpError e = ToHttpError(c.status);
    EXPECT_EQ(e.status, c.http) << c.status;
    EXPECT_EQ(e.code, c.code) << c.status;
  }
  EXPECT_EQ(ItemErrorCode(GoneError("x")), "GONE");
  EXPECT_EQ(ItemErrorCode(ExpiredError("x")), "EXPIRED");
  EXPECT_EQ(ItemErrorCode(absl::PermissionDeniedError("x")), "PERMISSION_DENIED");
  EXPECT_EQ(ItemErrorCode(absl::NotFoundError("x")), "NOT_FOUND");
}

TEST_F(RequestHandlerTest, InternalErrorsDoNotLeakTheirMessage) {
  HttpResponse r = MakeErrorResponse(500, "INTERNAL", "internal error", "req_1");
  EXPECT_EQ(r.body,
            R"({"error":{"code":"INTERNAL","message":"internal error","request_id":"req_1"}})");
}

}  // namespace
}  // namespace vault::api
