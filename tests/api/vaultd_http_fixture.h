// The fixture of the vaultd HTTP integration tests (vaultd_http_test.cc,
// vaultd_http_lifecycle_test.cc): the real vaultd binary on a free port in
// dev mode, over plain HTTP or TLS (the test parameter), with helpers to call
// it and to provision a tenant with a tokenizer and a support principal.
// Thread-safety: one test thread (Call uses one client).
#ifndef VAULT_TESTS_API_VAULTD_HTTP_FIXTURE_H_
#define VAULT_TESTS_API_VAULTD_HTTP_FIXTURE_H_

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "api/api.pb.h"
#include "ops/http_client.h"
#include "tests/api/vaultd_process.h"
#include "tests/testing/temp_dir.h"

namespace vault::testing {

using ops::HttpClient;
using ops::HttpResult;
using ops::TlsClientOptions;

namespace pb = google::protobuf;

template <class M>
M Parse(const std::string& json) {
  M m;
  pb::util::JsonParseOptions o;
  o.ignore_unknown_fields = false;
  EXPECT_TRUE(pb::util::JsonStringToMessage(json, &m, o).ok()) << json;
  return m;
}

inline std::string ErrorCode(const HttpResult& r) {
  return Parse<api::v1::ErrorResponse>(r.body).error().code();
}

// Every test runs twice: over plain HTTP and over TLS (a self-signed
// certificate made for the test).
class VaultdHttpTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    data_ = dir_.Sub("data");
    std::ofstream(dir_.Sub("vaultd.conf")) << "read_timeout_ms: 800\nbody_limit_bytes: 65536\n"
                                           << ExtraConfig();
    std::vector<std::string> args = {"--dev", "--data-dir", data_, "--config",
                                     dir_.Sub("vaultd.conf")};
    if (GetParam()) {
      const std::string cmd =
          "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
          "-addext subjectAltName=IP:127.0.0.1 2>/dev/null -keyout " +
          dir_.Sub("key.pem") + " -out " + dir_.Sub("cert.pem");
      ASSERT_EQ(std::system(cmd.c_str()), 0);
      tls_ = TlsClientOptions{dir_.Sub("cert.pem"), "", ""};
      for (const std::string& a : std::vector<std::string>{"--tls-cert", dir_.Sub("cert.pem"),
                                                           "--tls-key", dir_.Sub("key.pem")}) {
        args.push_back(a);
      }
    }
    server_ = std::make_unique<VaultdProcess>(args);
    ASSERT_GT(server_->port(), 0) << "vaultd did not start";
    root_key_ = ReadFirstLine(data_ + "/root-api-key");
    ASSERT_EQ(root_key_.substr(0, 7), "vaultd_");
    client_ = NewClient();
  }
  // Appended to the config file (protobuf text format) by SetUp.
  virtual std::string ExtraConfig() const { return ""; }
  std::unique_ptr<HttpClient> NewClient() {
    return std::make_unique<HttpClient>("127.0.0.1", server_->port(), GetParam() ? &tls_ : nullptr);
  }

  HttpResult Call(const std::string& method, const std::string& target,
                  const std::string& body = "", const std::string& key = "",
                  const std::string& purpose = "") {
    std::map<std::string, std::string> headers;
    if (!key.empty()) headers["Authorization"] = "Bearer " + key;
    if (!purpose.empty()) headers["X-Purpose"] = purpose;
    return client_->Request(method, target, body, headers);
  }

  // Tenant acme with a tokenizer and a support principal.
  void Provision() {
    ASSERT_EQ(Call("POST", "/v1/tenants", R"({"id": "acme", "residency": "cn"})", root_key_).status,
              201);
    ASSERT_EQ(
        Call(
            "PUT", "/v1/tenants/acme/roles/tokenizer",
            R"({"actions": ["tokenize", "write", "revoke"], "types": ["*"], "max_reveal": "token_only",
                       "allow_deterministic": true})",
            root_key_)
            .status,
        200);
    ASSERT_EQ(Call("PUT", "/v1/tenants/acme/roles/support",
                   R"({"actions": ["detokenize", "read", "search"], "types": ["phone", "bank_card"],
                       "max_reveal": "masked", "purposes": ["support"], "require_purpose": true})",
                   root_key_)
                  .status,
              200);
    HttpResult t = Call("POST", "/v1/tenants/acme/principals",
                        R"({"name": "billing-svc", "roles": ["tokenizer"]})", root_key_);
    ASSERT_EQ(t.status, 201) << t.body;
    tokenizer_key_ = Parse<api::v1::PrincipalResponse>(t.body).api_key();
    HttpResult s = Call("POST", "/v1/tenants/acme/principals",
                        R"({"name": "helpdesk", "roles": ["support"]})", root_key_);
    ASSERT_EQ(s.status, 201) << s.body;
    support_key_ = Parse<api::v1::PrincipalResponse>(s.body).api_key();
  }

  // After Provision: a dpo principal (erase, hold, keys; its key in dpo_key_),
  // subjects u-1 and u-2 with a phone each, and a token of u-1's phone.
  std::string ProvisionDpoAndTwoSubjects() {
    EXPECT_EQ(
        Call(
            "PUT", "/v1/tenants/acme/roles/dpo",
            R"({"actions": ["erase", "hold", "keys"], "types": ["*"], "max_reveal": "token_only"})",
            root_key_)
            .status,
        200);
    HttpResult p = Call("POST", "/v1/tenants/acme/principals",
                        R"({"name": "dpo", "roles": ["dpo"]})", root_key_);
    dpo_key_ = Parse<api::v1::PrincipalResponse>(p.body).api_key();
    EXPECT_EQ(Call("PUT", "/v1/tenants/acme/subjects/u-1",
                   R"({"fields": {"mobile": {"type": "phone", "value": "+8613800138000"}}})",
                   tokenizer_key_)
                  .status,
              200);
    EXPECT_EQ(Call("PUT", "/v1/tenants/acme/subjects/u-2",
                   R"({"fields": {"mobile": {"type": "phone", "value": "+8613900139000"}}})",
                   tokenizer_key_)
                  .status,
              200);
    HttpResult t =
        Call("POST", "/v1/tenants/acme/tokenize",
             R"({"items": [{"type": "phone", "value": "+8613800138000", "subject": "u-1"}]})",
             tokenizer_key_);
    return Parse<api::v1::TokenizeResponse>(t.body).items(0).token();
  }

  TempDir dir_;
  TlsClientOptions tls_;
  std::string data_;
  std::unique_ptr<VaultdProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::string root_key_, tokenizer_key_, support_key_, dpo_key_;
};

}  // namespace vault::testing

#endif  // VAULT_TESTS_API_VAULTD_HTTP_FIXTURE_H_
