// Erasure notices to processors through the real vaultd: registration and
// its refusals over HTTP; a processor (NoticeReceiver, a small server on
// loopback) receives a notice whose signature over the exact body bytes
// verifies with GET /v1/sys/receipt-key and whose receipt verifies; a
// notice not yet delivered when vaultd is killed (SIGKILL) is delivered
// after a restart; TLS verifies the processor's certificate (a private CA
// works only with --processor-ca-file).
#include <google/protobuf/util/message_differencer.h>

#include <cstdlib>

#include "api/views.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"
#include "tests/api/notice_receiver.h"
#include "tests/api/vaultd_http_fixture.h"
#include "vault/lifecycle/lifecycle.h"

namespace vault::testing {
namespace {

class VaultdProcessorsTest : public VaultdHttpTest {
 protected:
  // Restarts vaultd on the same data folder, with `extra` flags; a kill
  // (SIGKILL, nothing flushed or drained) instead of a stop when `kill`.
  void Restart(bool kill, const std::vector<std::string>& extra = {}) {
    if (kill) {
      server_->Kill();
    } else {
      server_->Stop();
    }
    std::vector<std::string> args = {"--dev", "--data-dir", data_, "--config",
                                     dir_.Sub("vaultd.conf")};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<VaultdProcess>(args);
    ASSERT_GT(server_->port(), 0) << "vaultd did not restart";
    client_ = NewClient();
  }

  HttpResult PutProcessor(const std::string& name, const std::string& url) {
    return Call("PUT", "/v1/tenants/acme/processors/" + name,
                R"({"url": ")" + url + R"(", "events": ["erasure"]})", root_key_);
  }
  api::v1::Processor GetProcessor(const std::string& name) {
    HttpResult r = Call("GET", "/v1/tenants/acme/processors/" + name, "", root_key_);
    EXPECT_EQ(r.status, 200) << r.body;
    return Parse<api::v1::Processor>(r.body);
  }
  // Polls GET .../processors/NAME (bounded) until `done` holds.
  template <class Pred>
  api::v1::Processor WaitForProcessor(const std::string& name, Pred done) {
    api::v1::Processor p;
    for (int i = 0; i < 300; ++i) {
      p = GetProcessor(name);
      if (done(p)) return p;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "processor never reached the expected state: " << p.ShortDebugString();
    return p;
  }
  int AllowedAdminEntries() {
    HttpResult r = Call("GET", "/v1/tenants/acme/audit?action=admin&limit=1000", "", root_key_);
    EXPECT_EQ(r.status, 200) << r.body;
    int n = 0;
    const auto page = Parse<api::v1::AuditQueryResponse>(r.body);
    for (const auto& e : page.entries()) {
      if (e.outcome() == "allowed") ++n;
    }
    return n;
  }
  // Erases u-1 at once; its erasure id.
  std::string EraseU1() {
    HttpResult r =
        Call("POST", "/v1/tenants/acme/subjects/u-1/erasure", R"({"grace_seconds": 0})", dpo_key_);
    EXPECT_EQ(r.status, 200) << r.body;
    return Parse<api::v1::ErasureResponse>(r.body).erasure_id();
  }
  // The notice's signature over the exact body bytes verifies with the
  // receipt key, its receipt is the one GET .../erasures/ID shows, and that
  // receipt verifies too.
  void ExpectVerifiableNotice(const NoticeReceiver::Request& got, const std::string& erasure_id) {
    EXPECT_EQ(got.content_type, "application/json");
    const std::string key_b64 =
        Parse<api::v1::ReceiptKeyResponse>(Call("GET", "/v1/sys/receipt-key").body).public_key();
    absl::StatusOr<std::string> key = crypto::Base64Decode(key_b64);
    absl::StatusOr<std::string> signature = crypto::Base64Decode(got.signature);
    ASSERT_TRUE(key.ok() && signature.ok()) << got.signature;
    EXPECT_TRUE(crypto::VerifySignature(*key, got.body, *signature).ok());
    EXPECT_FALSE(crypto::VerifySignature(*key, got.body + "\n", *signature).ok());
    auto notice = Parse<api::v1::ProcessorNotice>(got.body);
    EXPECT_EQ(notice.event(), "erasure");
    EXPECT_EQ(notice.receipt().erasure_id(), erasure_id);
    EXPECT_EQ(notice.receipt().subject(), "u-1");
    auto shown = Parse<api::v1::ErasureResponse>(
        Call("GET", "/v1/tenants/acme/erasures/" + erasure_id, "", dpo_key_).body);
    EXPECT_TRUE(pb::util::MessageDifferencer::Equals(notice.receipt(), shown.receipt()))
        << notice.receipt().ShortDebugString() << "\nvs\n"
        << shown.receipt().ShortDebugString();
    absl::StatusOr<records::ErasureReceipt> receipt = api::ReceiptFromView(notice.receipt());
    ASSERT_TRUE(receipt.ok());
    EXPECT_TRUE(VerifyReceipt(*receipt, *key).ok());
  }
};

TEST_P(VaultdProcessorsTest, RegistrationIsAdminOnlyValidatedAndAudited) {
  Provision();
  const int admin_entries_before = AllowedAdminEntries();
  HttpResult put = PutProcessor("crm", "https://crm.example.com/hooks/erasure");
  ASSERT_EQ(put.status, 200) << put.body;
  auto p = Parse<api::v1::Processor>(put.body);
  EXPECT_EQ(p.name(), "crm");
  EXPECT_EQ(p.url(), "https://crm.example.com/hooks/erasure");
  ASSERT_EQ(p.events_size(), 1);
  EXPECT_EQ(p.events(0), "erasure");
  EXPECT_EQ(p.delivered(), 0);
  EXPECT_EQ(p.pending(), 0);
  EXPECT_EQ(p.last_error(), "");
  for (const char* field : {"\"delivered\"", "\"pending\"", "\"last_error\""}) {
    EXPECT_NE(put.body.find(field), std::string::npos) << field;
  }
  // http:// only to loopback; bad URLs and events name their field.
  HttpResult http_remote = PutProcessor("crm2", "http://crm.example.com/hooks");
  EXPECT_EQ(http_remote.status, 400);
  EXPECT_EQ(ErrorCode(http_remote), "INVALID_ARGUMENT");
  EXPECT_NE(Parse<api::v1::ErrorResponse>(http_remote.body).error().message().find("url"),
            std::string::npos);
  EXPECT_EQ(PutProcessor("crm2", "http://127.0.0.1:9/hooks").status, 200);
  EXPECT_EQ(PutProcessor("crm3", "ftp://crm.example.com/").status, 400);
  HttpResult bad_event =
      Call("PUT", "/v1/tenants/acme/processors/crm",
           R"({"url": "https://a.example.com/", "events": ["export"]})", root_key_);
  EXPECT_EQ(bad_event.status, 400);
  EXPECT_NE(bad_event.body.find("events"), std::string::npos);
  EXPECT_EQ(PutProcessor("Not%20An%20Id", "https://a.example.com/").status, 400);
  // Listing, non-admins, deletion.
  auto list =
      Parse<api::v1::ProcessorList>(Call("GET", "/v1/tenants/acme/processors", "", root_key_).body);
  EXPECT_EQ(list.processors_size(), 2);
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/processors/crm", "", tokenizer_key_).status, 403);
  EXPECT_EQ(PutProcessor("crm", "https://a.example.com/").status, 200);
  EXPECT_EQ(Call("DELETE", "/v1/tenants/acme/processors/crm2", "", root_key_).status, 204);
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/processors/crm2", "", root_key_).status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/tenants/acme/processors/crm2", "", root_key_).status, 404);
  // Each change (three saves, one deletion) left an allowed admin entry.
  EXPECT_EQ(AllowedAdminEntries() - admin_entries_before, 4);
}

TEST_P(VaultdProcessorsTest, ProcessorReceivesANoticeWhoseSignatureAndReceiptVerify) {
  NoticeReceiver receiver;
  ASSERT_GT(receiver.port(), 0);
  Provision();
  ProvisionDpoAndTwoSubjects();
  const std::string url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/erasures";
  ASSERT_EQ(PutProcessor("crm", url).status, 200);
  const std::string erasure_id = EraseU1();
  ASSERT_TRUE(receiver.WaitForRequests(1, std::chrono::seconds(30))) << "no notice arrived";
  const NoticeReceiver::Request got = receiver.requests()[0];
  EXPECT_EQ(got.target, "/erasures");
  ExpectVerifiableNotice(got, erasure_id);
  api::v1::Processor p =
      WaitForProcessor("crm", [](const api::v1::Processor& q) { return q.delivered() == 1; });
  EXPECT_EQ(p.pending(), 0);
  EXPECT_EQ(p.last_error(), "");
}

TEST_P(VaultdProcessorsTest, NoticeFailedBeforeAKillIsDeliveredAfterRestart) {
  NoticeReceiver receiver;
  receiver.set_status(500);
  Provision();
  ProvisionDpoAndTwoSubjects();
  ASSERT_EQ(
      PutProcessor("crm", "http://127.0.0.1:" + std::to_string(receiver.port()) + "/n").status,
      200);
  const std::string erasure_id = EraseU1();
  ASSERT_TRUE(receiver.WaitForRequests(1, std::chrono::seconds(30)));
  api::v1::Processor failing =
      WaitForProcessor("crm", [](const api::v1::Processor& q) { return !q.last_error().empty(); });
  EXPECT_EQ(failing.last_error(), "HTTP status 500");
  EXPECT_EQ(failing.pending(), 1);
  EXPECT_EQ(failing.delivered(), 0);
  EXPECT_EQ(failing.ShortDebugString().find(NoticeReceiver::kSecretBody), std::string::npos);

  server_->Kill();  // SIGKILL: nothing flushed or drained
  receiver.set_status(200);
  Restart(/*kill=*/true);
  api::v1::Processor p =
      WaitForProcessor("crm", [](const api::v1::Processor& q) { return q.delivered() == 1; });
  EXPECT_EQ(p.pending(), 0);
  EXPECT_EQ(p.last_error(), "");
  const std::vector<NoticeReceiver::Request> all = receiver.requests();
  ASSERT_GE(all.size(), 2U);
  ExpectVerifiableNotice(all.back(), erasure_id);
}

TEST_P(VaultdProcessorsTest, NoticeInFlightWhenKilledIsDeliveredAfterRestart) {
  NoticeReceiver receiver;
  receiver.set_hang(true);  // reads the notice, never answers it
  Provision();
  ProvisionDpoAndTwoSubjects();
  ASSERT_EQ(
      PutProcessor("crm", "http://127.0.0.1:" + std::to_string(receiver.port()) + "/n").status,
      200);
  const std::string erasure_id = EraseU1();
  ASSERT_TRUE(receiver.WaitForRequests(1, std::chrono::seconds(30)));
  server_->Kill();  // SIGKILL while vaultd waits for the answer
  receiver.set_hang(false);
  Restart(/*kill=*/true);
  ASSERT_TRUE(receiver.WaitForRequests(2, std::chrono::seconds(60)))
      << "the notice was not sent again after the restart";
  WaitForProcessor("crm", [](const api::v1::Processor& q) { return q.delivered() == 1; });
  ExpectVerifiableNotice(receiver.requests()[1], erasure_id);
}

INSTANTIATE_TEST_SUITE_P(Http, VaultdProcessorsTest, ::testing::Values(false));

// HTTPS to a processor whose certificate a private CA signed (made here with
// openssl): refused without --processor-ca-file, delivered with it; a
// certificate for another host name is refused even then.
class VaultdProcessorsTlsTest : public VaultdProcessorsTest {
 protected:
  void MakePrivateCa() {
    const std::string d = dir_.path() + "/";
    const std::string cmd =
        "cd " + d +
        " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca "
        "-keyout ca.key -out ca.pem 2>/dev/null"
        " && openssl req -newkey rsa:2048 -nodes -subj /CN=processor -keyout proc.key "
        "-out proc.csr 2>/dev/null"
        " && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"
        " && openssl x509 -req -in proc.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "-extfile san.ext -out proc.pem 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
};

TEST_P(VaultdProcessorsTlsTest, PrivateCaIsTrustedOnlyWithProcessorCaFile) {
  MakePrivateCa();
  NoticeReceiver receiver(dir_.Sub("proc.pem"), dir_.Sub("proc.key"));
  ASSERT_GT(receiver.port(), 0);
  Provision();
  ProvisionDpoAndTwoSubjects();
  const std::string port = std::to_string(receiver.port());
  ASSERT_EQ(PutProcessor("crm", "https://127.0.0.1:" + port + "/n").status, 200);
  const std::string erasure_id = EraseU1();
  api::v1::Processor refused =
      WaitForProcessor("crm", [](const api::v1::Processor& q) { return !q.last_error().empty(); });
  EXPECT_EQ(refused.last_error(), "TLS certificate verification failed");
  EXPECT_EQ(refused.pending(), 1);
  EXPECT_TRUE(receiver.requests().empty());

  Restart(/*kill=*/false, {"--processor-ca-file", dir_.Sub("ca.pem")});
  WaitForProcessor("crm", [](const api::v1::Processor& q) { return q.delivered() == 1; });
  ASSERT_EQ(receiver.requests().size(), 1U);
  ExpectVerifiableNotice(receiver.requests()[0], erasure_id);
  // Trusted CA, but the certificate names 127.0.0.1 only, not localhost.
  ASSERT_EQ(PutProcessor("misnamed", "https://localhost:" + port + "/n").status, 200);
  ASSERT_EQ(
      Call("POST", "/v1/tenants/acme/subjects/u-2/erasure", R"({"grace_seconds": 0})", dpo_key_)
          .status,
      200);
  api::v1::Processor misnamed = WaitForProcessor(
      "misnamed", [](const api::v1::Processor& q) { return !q.last_error().empty(); });
  EXPECT_EQ(misnamed.last_error(), "TLS certificate verification failed");
  EXPECT_EQ(misnamed.delivered(), 0);
  WaitForProcessor("crm", [](const api::v1::Processor& q) { return q.delivered() == 2; });
}

TEST_P(VaultdProcessorsTlsTest, UnreadableCaFileStopsVaultdAtStart) {
  VaultdProcess bad(
      {"--dev", "--data-dir", dir_.Sub("other"), "--processor-ca-file", dir_.Sub("missing.pem")});
  EXPECT_EQ(bad.port(), 0);
}

INSTANTIATE_TEST_SUITE_P(Https, VaultdProcessorsTlsTest, ::testing::Values(false));

}  // namespace
}  // namespace vault::testing
