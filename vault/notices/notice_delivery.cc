// ProcessorNotices: delivery of queued erasure notices (DeliverDue), their
// retry schedule and the background worker.
#include <algorithm>
#include <chrono>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/encoding.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/model/record_keys.h"
#include "vault/notices/internal/notice_keys.h"
#include "vault/notices/processor_notices.h"

namespace vault {

using notices_internal::kSep;
using notices_internal::NoticeRoot;
using notices_internal::ProcessorKey;

namespace {

// Stored and shown as last_error: the sender promises a fixed phrase; a
// bound keeps a misbehaving sender from filling records.
std::string ErrorPhrase(const absl::Status& s) {
  std::string phrase(s.message().substr(0, 120));
  return phrase.empty() ? "delivery failed" : phrase;
}

}  // namespace

absl::Duration ProcessorNotices::RetryDelay(uint32_t attempts, absl::Duration first,
                                            absl::Duration max) {
  absl::Duration delay = first;
  for (uint32_t i = 1; i < attempts && delay < max; ++i) delay *= 2;
  return delay < max ? delay : max;
}

absl::StatusOr<DeliveryPass> ProcessorNotices::DeliverDue() {
  DeliveryPass pass;
  if (options_.sender == nullptr || stop_requested_) return pass;
  if (options_.keys->sealed()) return SealedError();
  const int64_t now_ms = absl::ToUnixMillis(options_.clock->Now());
  std::vector<std::pair<std::string, records::NoticeRecord>> due;
  std::optional<int64_t> next_ms;
  RETURN_IF_ERROR(options_.kv->ScanPrefix(
      storage::Table::kMeta, NoticeRoot(), [&](std::string_view key, std::string_view v) {
        records::NoticeRecord notice;
        if (!notice.ParseFromArray(v.data(), static_cast<int>(v.size()))) return true;
        int64_t at = notice.next_attempt_unix_ms();
        if (at <= now_ms && due.size() < options_.max_per_pass) {
          due.emplace_back(std::string(key), std::move(notice));
          return true;
        }
        at = std::max(at, now_ms);  // due, but beyond this pass's bound
        if (!next_ms.has_value() || at < *next_ms) next_ms = at;
        return true;
      }));
  std::map<std::string, std::string> failed;
  for (const auto& [key, notice] : due) {
    if (stop_requested_) return absl::CancelledError("notice delivery stopped");
    absl::Status s = DeliverOne(key, notice, &failed, &pass);
    if (IsSealed(s)) return s;  // sealed in the middle: the rest wait
    if (!s.ok()) return s;      // the store refuses: try again at the next pass
  }
  if (next_ms.has_value()) {
    const absl::Time t = absl::FromUnixMillis(*next_ms);
    if (!pass.next_due.has_value() || t < *pass.next_due) pass.next_due = t;
  }
  return pass;
}

absl::StatusOr<std::string> ProcessorNotices::SignedBody(const records::NoticeRecord& notice,
                                                         std::string* signature) {
  absl::StatusOr<std::string> stored =
      options_.kv->Get(storage::Table::kLedger, ErasureKey(notice.erasure_id()));
  if (!stored.ok()) return stored.status();
  records::ErasureRecord erasure;
  if (!erasure.ParseFromString(*stored)) return absl::DataLossError("erasure record is corrupt");
  if (erasure.tenant() != notice.tenant() || erasure.state() != "done") {
    return absl::NotFoundError("no done erasure for this notice");
  }
  // The receipt as GET /v1/tenants/{tenant}/erasures/{id} shows it.
  records::ErasureReceipt receipt = erasure.receipt();
  RETURN_IF_ERROR(AddFinalAt(*options_.keys, &receipt));
  ASSIGN_OR_RETURN(std::string body, options_.body(receipt));
  ASSIGN_OR_RETURN(std::string raw_signature, options_.keys->Sign(body));
  *signature = crypto::Base64Encode(raw_signature);
  return body;
}

absl::Status ProcessorNotices::DeliverOne(const std::string& key,
                                          const records::NoticeRecord& notice,
                                          std::map<std::string, std::string>* failed,
                                          DeliveryPass* pass) {
  const std::string processor_key = Cat(notice.tenant(), kSep, notice.processor());
  absl::Time next;
  if (auto it = failed->find(processor_key); it != failed->end()) {
    RETURN_IF_ERROR(RecordFailure(key, notice, it->second, &next));
    ++pass->failed;
    if (!pass->next_due.has_value() || next < *pass->next_due) pass->next_due = next;
    return absl::OkStatus();
  }
  absl::StatusOr<records::ProcessorRecord> processor = Load(notice.tenant(), notice.processor());
  std::string signature;
  absl::StatusOr<std::string> body =
      processor.ok() ? SignedBody(notice, &signature) : processor.status();
  if (!body.ok()) {
    if (!IsMissing(body.status())) return body.status();
    ++pass->dropped;  // the processor was deleted, or the erasure record is gone
    return Drop(key);
  }
  absl::Status sent = options_.sender->Send(OutboundNotice{processor->url(), *body, signature});
  if (sent.ok()) {
    ++pass->delivered;
    return RecordDelivery(key, notice);
  }
  // Cut short by Stop: not the processor's failure, not counted.
  if (stop_requested_) return absl::CancelledError("notice delivery stopped");
  const std::string phrase = ErrorPhrase(sent);
  (*failed)[processor_key] = phrase;
  RETURN_IF_ERROR(RecordFailure(key, notice, phrase, &next));
  ++pass->failed;
  if (!pass->next_due.has_value() || next < *pass->next_due) pass->next_due = next;
  return absl::OkStatus();
}

absl::Status ProcessorNotices::RecordDelivery(const std::string& key,
                                              const records::NoticeRecord& notice) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<std::string> still = options_.kv->Get(storage::Table::kMeta, key);
  if (absl::IsNotFound(still.status())) return absl::OkStatus();
  RETURN_IF_ERROR(still.status());
  const int64_t now_ms = absl::ToUnixMillis(options_.clock->Now());
  storage::WriteBatch batch;
  batch.Delete(storage::Table::kMeta, key);
  absl::StatusOr<records::ProcessorRecord> processor = Load(notice.tenant(), notice.processor());
  if (processor.ok()) {
    processor->set_delivered(processor->delivered() + 1);
    processor->clear_last_error();
    processor->set_last_attempt_unix_ms(now_ms);
    processor->set_last_delivered_unix_ms(now_ms);
    batch.Put(storage::Table::kMeta, ProcessorKey(notice.tenant(), notice.processor()),
              processor->SerializeAsString());
  } else if (!absl::IsNotFound(processor.status())) {
    return processor.status();
  }
  return options_.committer->Commit(batch);
}

absl::Status ProcessorNotices::RecordFailure(const std::string& key,
                                             const records::NoticeRecord& notice,
                                             std::string_view error, absl::Time* next) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = options_.clock->Now();
  records::NoticeRecord updated = notice;
  updated.set_attempts(notice.attempts() + 1);
  *next = now + RetryDelay(updated.attempts(), options_.first_retry, options_.max_retry);
  absl::StatusOr<std::string> still = options_.kv->Get(storage::Table::kMeta, key);
  if (absl::IsNotFound(still.status())) return absl::OkStatus();
  RETURN_IF_ERROR(still.status());
  updated.set_next_attempt_unix_ms(absl::ToUnixMillis(*next));
  updated.set_last_error(std::string(error));
  storage::WriteBatch batch;
  batch.Put(storage::Table::kMeta, key, updated.SerializeAsString());
  absl::StatusOr<records::ProcessorRecord> processor = Load(notice.tenant(), notice.processor());
  if (processor.ok()) {
    processor->set_last_error(std::string(error));
    processor->set_last_attempt_unix_ms(absl::ToUnixMillis(now));
    batch.Put(storage::Table::kMeta, ProcessorKey(notice.tenant(), notice.processor()),
              processor->SerializeAsString());
  } else if (!absl::IsNotFound(processor.status())) {
    return processor.status();
  }
  return options_.committer->Commit(batch);
}

absl::Status ProcessorNotices::Drop(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  storage::WriteBatch batch;
  batch.Delete(storage::Table::kMeta, key);
  return options_.committer->Commit(batch);
}

void ProcessorNotices::Wake() {
  std::lock_guard<std::mutex> lock(worker_mu_);
  woken_ = true;
  worker_cv_.notify_all();
}

void ProcessorNotices::StartWorker() {
  std::lock_guard<std::mutex> lock(worker_mu_);
  if (worker_.joinable() || stopping_) return;
  worker_ = std::thread([this] { Run(); });
}

void ProcessorNotices::Stop() {
  stop_requested_ = true;
  if (options_.sender != nullptr) options_.sender->Cancel();
  std::thread worker;
  {
    std::lock_guard<std::mutex> lock(worker_mu_);
    stopping_ = true;
    worker_cv_.notify_all();
    worker = std::move(worker_);
  }
  if (worker.joinable()) worker.join();
}

void ProcessorNotices::Run() {
  absl::Time next_pass = absl::InfinitePast();
  absl::Time last_scan = absl::InfinitePast();
  const auto poll = absl::ToChronoMilliseconds(options_.poll);
  std::unique_lock<std::mutex> lock(worker_mu_);
  while (!stopping_) {
    const absl::Time now = options_.clock->Now();
    if (woken_ || now >= next_pass || now - last_scan >= options_.rescan) {
      woken_ = false;
      lock.unlock();
      absl::StatusOr<DeliveryPass> pass = DeliverDue();
      lock.lock();
      last_scan = now;
      if (!pass.ok()) {
        next_pass = now + options_.poll;  // sealed, or the store refused: look again soon
      } else {
        next_pass = pass->next_due.value_or(absl::InfiniteFuture());
      }
    }
    worker_cv_.wait_for(lock, poll, [this] { return stopping_ || woken_; });
  }
}

}  // namespace vault
