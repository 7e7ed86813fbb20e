// Tests for ProcessorNotices through a wired Vault with a fake sender and a
// fake clock: registration checks, a notice queued with every done erasure
// (immediate, scheduled, tenant), signed delivery, the retry schedule until
// a 2xx, nothing sent while sealed, and the outbox surviving a reopen.
#include "vault/notices/processor_notices.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "base/strings.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "vault/internal/vault_parts.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/vault.h"

using vault::internal::Parts;

namespace vault {
namespace {

using ::testing::HasSubstr;
using testing::IsOk;
using testing::StatusIs;

// What the fake sender saw and will answer; shared across reopened vaults.
struct SenderState {
  std::mutex mu;
  std::condition_variable sent_cv;
  std::vector<OutboundNotice> sent;
  std::deque<absl::Status> answers;  // empty: OK
};

class FakeSender final : public NoticeSender {
 public:
  explicit FakeSender(std::shared_ptr<SenderState> state) : state_(std::move(state)) {}
  absl::Status Send(const OutboundNotice& notice) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->sent.push_back(notice);
    state_->sent_cv.notify_all();
    if (state_->answers.empty()) return absl::OkStatus();
    absl::Status answer = state_->answers.front();
    state_->answers.pop_front();
    return answer;
  }

 private:
  std::shared_ptr<SenderState> state_;
};

// A stand-in for the API's JSON (vault/ has no wire mapping).
absl::StatusOr<std::string> FakeNoticeBody(const records::ErasureReceipt& r) {
  return Cat("{\"event\":\"erasure\",\"erasure_id\":\"", r.erasure_id(), "\",\"subject\":\"",
             r.subject(), "\"}");
}

std::vector<AuditEvent> NoAudit() { return {}; }

class ProcessorNoticesTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(/*first=*/true); }

  void Open(bool first, bool worker = false) {
    vault_.reset();
    VaultOptions options;
    options.data_dir = dir_.path();
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();
    options.argon2 = crypto::Argon2idParams::MinimumForTesting();
    options.notice_sender = std::make_unique<FakeSender>(sender_);
    options.notice_body = &FakeNoticeBody;
    options.notice_worker = worker;
    absl::StatusOr<std::unique_ptr<Vault>> v = Vault::Open(std::move(options));
    ASSERT_TRUE(v.ok()) << v.status();
    vault_ = std::move(*v);
    ASSERT_THAT(vault_->InitializeAndUnsealDev(), IsOk());
    if (first) {
      ASSERT_THAT(Parts(*vault_).keys().CreateTenant("acme", ""), IsOk());
      ASSERT_THAT(Parts(*vault_).keys().CreateTenant("other", ""), IsOk());
    }
  }

  ProcessorNotices& notices() { return Parts(*vault_).notices(); }
  SubjectLifecycle& life() { return Parts(*vault_).lifecycle(); }

  void Register(std::string_view name, std::string_view url = "https://hooks.example.com/erased") {
    ASSERT_THAT(notices().Put("acme", name, url, {"erasure"}, NoAudit()), IsOk());
  }
  // A subject with one field, erased at once; its erasure id.
  std::string EraseNow(const std::string& subject) {
    EXPECT_THAT(Parts(*vault_).subjects().PutFields("acme", subject,
                                                    {{"mobile", {"phone", "+8613800138000", ""}}}),
                IsOk());
    absl::StatusOr<records::ErasureRecord> e =
        life().RequestErasure("acme", subject, absl::ZeroDuration(), "p_test", {});
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? e->erasure_id() : "";
  }
  uint64_t Pending(std::string_view name) {
    absl::StatusOr<ProcessorStatus> p = notices().Get("acme", name);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? p->pending : 0;
  }
  size_t SentCount() {
    std::lock_guard<std::mutex> lock(sender_->mu);
    return sender_->sent.size();
  }
  OutboundNotice LastSent() {
    std::lock_guard<std::mutex> lock(sender_->mu);
    return sender_->sent.back();
  }
  void FailNext(int n, std::string_view phrase = "HTTP status 500") {
    std::lock_guard<std::mutex> lock(sender_->mu);
    for (int i = 0; i < n; ++i) {
      sender_->answers.push_back(absl::UnavailableError(std::string(phrase)));
    }
  }
  DeliveryPass Deliver() {
    absl::StatusOr<DeliveryPass> pass = notices().DeliverDue();
    EXPECT_TRUE(pass.ok()) << pass.status();
    return pass.ok() ? *pass : DeliveryPass{};
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::shared_ptr<SenderState> sender_ = std::make_shared<SenderState>();
  std::unique_ptr<Vault> vault_;
};

TEST_F(ProcessorNoticesTest, PutRefusesBadNamesUrlsAndEvents) {
  EXPECT_THAT(notices().Put("acme", "Bad Name", "https://a.example/", {"erasure"}, NoAudit()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("processor name")));
  EXPECT_THAT(notices().Put("acme", "crm", "http://crm.example.com/", {"erasure"}, NoAudit()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("url")));
  EXPECT_THAT(notices().Put("acme", "crm", "ftp://crm.example.com/", {"erasure"}, NoAudit()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("url")));
  EXPECT_THAT(notices().Put("acme", "crm", "https://crm.example.com/", {"export"}, NoAudit()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events")));
  EXPECT_THAT(notices().Put("acme", "crm", "https://crm.example.com/", {}, NoAudit()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events")));
  EXPECT_THAT(notices().Put("nosuch", "crm", "https://crm.example.com/", {"erasure"}, NoAudit()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(notices().Get("acme", "crm"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ProcessorNoticesTest, PutStoresAndChangesKeepingCounts) {
  absl::StatusOr<ProcessorStatus> p =
      notices().Put("acme", "crm", "https://crm.example.com/h", {"erasure", "erasure"}, NoAudit());
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->record.events_size(), 1);
  EraseNow("s-1");
  ASSERT_EQ(Deliver().delivered, 1);
  ASSERT_THAT(notices().Put("acme", "crm", "https://crm2.example.com/h", {"erasure"}, NoAudit()),
              IsOk());
  absl::StatusOr<ProcessorStatus> got = notices().Get("acme", "crm");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->record.url(), "https://crm2.example.com/h");
  EXPECT_EQ(got->record.delivered(), 1U);
  EXPECT_EQ(got->pending, 0U);
}

TEST_F(ProcessorNoticesTest, DoneErasureQueuesOneNoticePerProcessorOfTheTenant) {
  Register("crm");
  Register("mailer", "http://127.0.0.1:9/n");
  ASSERT_THAT(notices().Put("other", "elsewhere", "https://x.example.com/", {"erasure"}, NoAudit()),
              IsOk());
  EraseNow("s-1");
  // Queued durably with the erasure, before any delivery ran.
  EXPECT_EQ(Pending("crm"), 1U);
  EXPECT_EQ(Pending("mailer"), 1U);
  absl::StatusOr<ProcessorStatus> other = notices().Get("other", "elsewhere");
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->pending, 0U);
  EXPECT_EQ(SentCount(), 0U);
}

TEST_F(ProcessorNoticesTest, ProcessorRegisteredAfterAnErasureIsNotToldOfIt) {
  EraseNow("s-1");
  Register("crm");
  EXPECT_EQ(Pending("crm"), 0U);
  EXPECT_EQ(Deliver().delivered, 0);
}

TEST_F(ProcessorNoticesTest, DeliverySendsTheSignedBodyAndCountsIt) {
  Register("crm");
  const std::string id = EraseNow("s-1");
  DeliveryPass pass = Deliver();
  EXPECT_EQ(pass.delivered, 1);
  EXPECT_FALSE(pass.next_due.has_value());
  OutboundNotice sent = LastSent();
  EXPECT_EQ(sent.url, "https://hooks.example.com/erased");
  EXPECT_NE(sent.body.find(id), std::string::npos);
  absl::StatusOr<std::string> signature = crypto::Base64Decode(sent.signature);
  ASSERT_TRUE(signature.ok());
  absl::StatusOr<std::string> public_key = Parts(*vault_).keys().SigningPublicKey();
  ASSERT_TRUE(public_key.ok());
  EXPECT_THAT(crypto::VerifySignature(*public_key, sent.body, *signature), IsOk());
  EXPECT_THAT(crypto::VerifySignature(*public_key, sent.body + " ", *signature),
              StatusIs(absl::StatusCode::kDataLoss));
  absl::StatusOr<ProcessorStatus> p = notices().Get("acme", "crm");
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->record.delivered(), 1U);
  EXPECT_EQ(p->pending, 0U);
  EXPECT_EQ(p->record.last_error(), "");
  EXPECT_EQ(Deliver().delivered, 0);  // delivered once
  EXPECT_EQ(SentCount(), 1U);
}

TEST_F(ProcessorNoticesTest, FailedDeliveriesRetryWithExponentialBackoffUntil2xx) {
  Register("crm");
  EraseNow("s-1");
  FailNext(3);
  // Attempt 1 fails: the next is 1 s later, then 2 s, then 4 s.
  DeliveryPass pass = Deliver();
  EXPECT_EQ(pass.failed, 1);
  ASSERT_TRUE(pass.next_due.has_value());
  EXPECT_EQ(*pass.next_due, clock_.Now() + absl::Seconds(1));
  absl::StatusOr<ProcessorStatus> p = notices().Get("acme", "crm");
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->record.last_error(), "HTTP status 500");
  EXPECT_EQ(p->pending, 1U);
  for (absl::Duration wait : {absl::Seconds(1), absl::Seconds(2), absl::Seconds(4)}) {
    const size_t before = SentCount();
    clock_.Advance(wait - absl::Milliseconds(1));
    DeliveryPass early = Deliver();
    EXPECT_EQ(early.failed + early.delivered, 0) << "sent before its time";
    EXPECT_EQ(SentCount(), before);
    clock_.Advance(absl::Milliseconds(1));
    Deliver();
    EXPECT_EQ(SentCount(), before + 1);
  }
  p = notices().Get("acme", "crm");
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->record.delivered(), 1U);
  EXPECT_EQ(p->pending, 0U);
  EXPECT_EQ(p->record.last_error(), "");
}

TEST_F(ProcessorNoticesTest, NewUrlMakesPendingNoticesDueAtOnce) {
  Register("crm");
  EraseNow("s-1");
  FailNext(1, "failed: connecting");
  ASSERT_EQ(Deliver().failed, 1);
  Register("crm");  // the same URL: the backoff stands
  EXPECT_EQ(Deliver().delivered, 0);
  Register("crm", "https://fixed.example.com/erased");
  EXPECT_EQ(Deliver().delivered, 1);
  EXPECT_EQ(LastSent().url, "https://fixed.example.com/erased");
}

TEST_F(ProcessorNoticesTest, RetryDelayDoublesUpToTheCap) {
  const absl::Duration first = absl::Seconds(1), cap = absl::Hours(1);
  EXPECT_EQ(ProcessorNotices::RetryDelay(1, first, cap), absl::Seconds(1));
  EXPECT_EQ(ProcessorNotices::RetryDelay(2, first, cap), absl::Seconds(2));
  EXPECT_EQ(ProcessorNotices::RetryDelay(5, first, cap), absl::Seconds(16));
  EXPECT_EQ(ProcessorNotices::RetryDelay(12, first, cap), absl::Seconds(2048));
  EXPECT_EQ(ProcessorNotices::RetryDelay(13, first, cap), cap);
  EXPECT_EQ(ProcessorNotices::RetryDelay(4000000000U, first, cap), cap);
}

TEST_F(ProcessorNoticesTest, OneFailedSendPerProcessorPerPass) {
  Register("crm");
  Register("mailer", "https://mail.example.com/");
  EraseNow("s-1");
  EraseNow("s-2");
  {
    std::lock_guard<std::mutex> lock(sender_->mu);
    sender_->answers.push_back(absl::UnavailableError("failed: connecting"));
  }
  DeliveryPass pass = Deliver();
  // crm: one send fails, its second notice waits without a send; mailer
  // gets both (it is only told after crm in key order).
  EXPECT_EQ(pass.failed, 2);
  EXPECT_EQ(pass.delivered, 2);
  EXPECT_EQ(SentCount(), 3U);
  EXPECT_EQ(Pending("crm"), 2U);
  EXPECT_EQ(Pending("mailer"), 0U);
}

TEST_F(ProcessorNoticesTest, NothingIsSentWhileSealed) {
  Register("crm");
  EraseNow("s-1");
  Parts(*vault_).keys().Seal();
  EXPECT_THAT(notices().DeliverDue(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(SentCount(), 0U);
  ASSERT_THAT(vault_->InitializeAndUnsealDev(), IsOk());
  EXPECT_EQ(Deliver().delivered, 1);
}

TEST_F(ProcessorNoticesTest, UndeliveredNoticeSurvivesReopenWithItsSchedule) {
  Register("crm");
  const std::string id = EraseNow("s-1");
  FailNext(1);
  ASSERT_EQ(Deliver().failed, 1);
  Open(/*first=*/false);
  EXPECT_EQ(Pending("crm"), 1U);
  EXPECT_EQ(Deliver().delivered, 0);  // still waits for its retry time
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Deliver().delivered, 1);
  EXPECT_NE(LastSent().body.find(id), std::string::npos);
  EXPECT_EQ(Pending("crm"), 0U);
}

TEST_F(ProcessorNoticesTest, NoticeQueuedBeforeAnyAttemptSurvivesReopen) {
  Register("crm");
  EraseNow("s-1");
  Open(/*first=*/false);  // as after a crash right after the erasure
  EXPECT_EQ(Deliver().delivered, 1);
}

TEST_F(ProcessorNoticesTest, ScheduledErasureQueuesItsNoticeWhenItRuns) {
  Register("crm");
  ASSERT_THAT(Parts(*vault_).subjects().PutFields("acme", "s-1",
                                                  {{"mobile", {"phone", "+8613800138000", ""}}}),
              IsOk());
  ASSERT_THAT(life().RequestErasure("acme", "s-1", absl::Hours(1), "p_test", {}), IsOk());
  EXPECT_EQ(Pending("crm"), 0U);  // pending erasure: nothing to tell yet
  clock_.Advance(absl::Hours(1));
  absl::StatusOr<int> ran = life().RunDue();
  ASSERT_THAT(ran, IsOk());
  EXPECT_EQ(*ran, 1);
  EXPECT_EQ(Pending("crm"), 1U);
  EXPECT_EQ(Deliver().delivered, 1);
}

TEST_F(ProcessorNoticesTest, TenantErasureQueuesANoticeWithTheTenantReceipt) {
  Register("crm");
  absl::StatusOr<records::ErasureReceipt> receipt = life().EraseTenant("acme", {});
  ASSERT_THAT(receipt, IsOk());
  EXPECT_EQ(Pending("crm"), 1U);
  EXPECT_EQ(Deliver().delivered, 1);
  EXPECT_NE(LastSent().body.find(receipt->erasure_id()), std::string::npos);
}

TEST_F(ProcessorNoticesTest, DeletingAProcessorDropsItsPendingNotices) {
  Register("crm");
  EraseNow("s-1");
  ASSERT_THAT(notices().Delete("acme", "crm", NoAudit()), IsOk());
  EXPECT_THAT(notices().Get("acme", "crm"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Deliver().delivered, 0);
  EXPECT_EQ(SentCount(), 0U);
  Register("crm");
  EXPECT_EQ(Pending("crm"), 0U);
  EXPECT_THAT(notices().Delete("acme", "nosuch", NoAudit()), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ProcessorNoticesTest, ListShowsEveryProcessorOfTheTenant) {
  Register("crm");
  Register("mailer", "https://mail.example.com/");
  EraseNow("s-1");
  absl::StatusOr<std::vector<ProcessorStatus>> all = notices().List("acme");
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].record.name(), "crm");
  EXPECT_EQ((*all)[0].pending, 1U);
  EXPECT_EQ((*all)[1].record.name(), "mailer");
}

TEST_F(ProcessorNoticesTest, WorkerDeliversInTheBackground) {
  Open(/*first=*/false, /*worker=*/true);
  Register("crm");
  EraseNow("s-1");
  std::unique_lock<std::mutex> lock(sender_->mu);
  ASSERT_TRUE(sender_->sent_cv.wait_for(lock, std::chrono::seconds(30), [&] {
    return !sender_->sent.empty();
  })) << "the worker sent nothing";
}

}  // namespace
}  // namespace vault
