// ProcessorNotices: the processors of a tenant (parties that received its
// data) and the durable outbox of erasure notices to them.
//
// Queueing: when an erasure of a tenant is done, AddErasureNotices (the
// lifecycle's on_erasure_done hook) adds one NoticeRecord per processor
// registered for "erasure" to the very write batch that records the erasure
// as done, so a done erasure and its notices become durable together or not
// at all; nothing is lost when the process dies right after. A processor
// registered while an erasure's write is being committed may miss that one
// erasure (its list is read just before the write).
// Delivery: DeliverDue (run by a background worker, StartWorker; never on a
// request or committer thread, and nothing while sealed) POSTs each due
// notice through the NoticeSender with the body NoticeBodyFormat makes from
// the erasure's receipt as GET .../erasures/{id} shows it, signed (Ed25519,
// the receipt key) over the exact body bytes. A 2xx deletes the notice and
// counts it delivered; anything else reschedules it after RetryDelay
// (exponential from `first_retry`, capped at `max_retry`), for ever, across
// restarts. Delivery is at least once: a crash between the 2xx and the
// write that records it sends the notice again (processors deduplicate by
// receipt.erasure_id). One failing send per processor per pass: its other
// due notices are rescheduled without being sent.
// Several nodes on one store (a future PostgreSQL backend): a node would
// claim a notice before sending it by writing a lease (node id, expiry) into
// the NoticeRecord in a conditional update, and skip notices leased by
// others until the lease expires; the single RocksDB node has one worker
// and needs none (see docs/operations.md).
// Thread-safety: safe for concurrent use. Never logs; last_error is a fixed
// phrase from the sender, never a response body.
#ifndef VAULT_NOTICES_PROCESSOR_NOTICES_H_
#define VAULT_NOTICES_PROCESSOR_NOTICES_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "vault/audit/audit_log.h"
#include "vault/audit/group_committer.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/model/records.pb.h"
#include "vault/notices/notice_sender.h"
#include "vault/storage/kv_store.h"

namespace vault {

struct ProcessorNoticesOptions {
  storage::KvStore* kv = nullptr;
  GroupCommitter* committer = nullptr;
  KeyHierarchy* keys = nullptr;
  const Clock* clock = nullptr;    // required
  NoticeSender* sender = nullptr;  // null: notices are queued, none is sent
  NoticeBodyFormat body;           // required with a sender
  absl::Duration first_retry = absl::Seconds(1);
  absl::Duration max_retry = absl::Hours(1);
  // The worker: how often it wakes to look at the clock (real time), and
  // how often it scans the outbox even when nothing looks due (notices
  // written by another node, a clock that jumped).
  absl::Duration poll = absl::Seconds(1);
  absl::Duration rescan = absl::Minutes(1);
  size_t max_per_pass = 100;
};

// A processor as GET answers it: the record and its notices not yet delivered.
struct ProcessorStatus {
  records::ProcessorRecord record;
  uint64_t pending = 0;
};

// What one DeliverDue pass did.
struct DeliveryPass {
  int delivered = 0;
  int failed = 0;   // rescheduled
  int dropped = 0;  // their processor or erasure record no longer exists
  // The earliest time a notice left in the outbox is due (none: empty).
  std::optional<absl::Time> next_due;
};

class ProcessorNotices {
 public:
  static constexpr std::string_view kErasureEvent = "erasure";

  explicit ProcessorNotices(ProcessorNoticesOptions options) : options_(std::move(options)) {}
  ~ProcessorNotices() { Stop(); }
  ProcessorNotices(const ProcessorNotices&) = delete;
  ProcessorNotices& operator=(const ProcessorNotices&) = delete;

  // Registers or changes a processor (names: 1-64 of a-z 0-9 - _; events:
  // "erasure"; url: see processor_url.h), keeping its counts and pending
  // notices (they go to the new URL, due at once when the URL changed, so a
  // fix does not wait out the backoff). INVALID_ARGUMENT naming the field;
  // NOT_FOUND/GONE for an unknown or erased tenant. `audit` is committed
  // with the change, its reason set to "processor registered: NAME" or
  // "processor changed: NAME".
  [[nodiscard]] absl::StatusOr<ProcessorStatus> Put(std::string_view tenant, std::string_view name,
                                                    std::string_view url,
                                                    const std::vector<std::string>& events,
                                                    std::vector<AuditEvent> audit);
  // NOT_FOUND for an unknown processor.
  [[nodiscard]] absl::StatusOr<ProcessorStatus> Get(std::string_view tenant, std::string_view name);
  // Removes the processor and drops its undelivered notices (reason
  // "processor deleted: NAME"). NOT_FOUND for an unknown processor.
  [[nodiscard]] absl::Status Delete(std::string_view tenant, std::string_view name,
                                    std::vector<AuditEvent> audit);
  [[nodiscard]] absl::StatusOr<std::vector<ProcessorStatus>> List(std::string_view tenant);

  // The lifecycle's on_erasure_done hook: one notice per processor of the
  // erasure's tenant registered for "erasure", added to `batch` (the write
  // that records the erasure as done).
  [[nodiscard]] absl::Status AddErasureNotices(const records::ErasureRecord& erasure,
                                               storage::WriteBatch* batch);
  // Tells the worker that notices may have been queued (after_erasure_done).
  void Wake();

  // Sends every notice due now (at most max_per_pass). SEALED while sealed
  // (nothing sent); an empty pass without a sender.
  [[nodiscard]] absl::StatusOr<DeliveryPass> DeliverDue();
  // Starts the background worker (once); Stop cancels an attempt in flight
  // (it is not counted) and joins the worker. No delivery after Stop.
  void StartWorker();
  void Stop();

  // The wait after the n-th failed attempt (n >= 1): first * 2^(n-1), at
  // most `max`.
  static absl::Duration RetryDelay(uint32_t attempts, absl::Duration first, absl::Duration max);

 private:
  absl::StatusOr<records::ProcessorRecord> Load(std::string_view tenant, std::string_view name);
  absl::StatusOr<uint64_t> CountPending(std::string_view tenant, std::string_view name);
  // Adds to `batch` the processor's pending notices, due at `now_ms`.
  absl::Status AddRetryNow(std::string_view tenant, std::string_view name, int64_t now_ms,
                           storage::WriteBatch* batch);
  // One due notice (`key` its outbox key). `failed` holds the processors
  // that failed in this pass (key: tenant \0 name -> phrase).
  absl::Status DeliverOne(const std::string& key, const records::NoticeRecord& notice,
                          std::map<std::string, std::string>* failed, DeliveryPass* pass);
  absl::StatusOr<std::string> SignedBody(const records::NoticeRecord& notice,
                                         std::string* signature);
  // The outcome of an attempt, written under mu_ (nothing when the notice
  // was dropped meanwhile, e.g. by a Delete).
  absl::Status RecordDelivery(const std::string& key, const records::NoticeRecord& notice);
  absl::Status RecordFailure(const std::string& key, const records::NoticeRecord& notice,
                             std::string_view error, absl::Time* next);
  absl::Status Drop(const std::string& key);
  void Run();

  ProcessorNoticesOptions options_;
  // Serialises the read-modify-writes of processor records and notices
  // (Put, Delete and the outcome of each attempt).
  std::mutex mu_;

  std::mutex worker_mu_;
  std::condition_variable worker_cv_;
  bool stopping_ ABSL_GUARDED_BY(worker_mu_) = false;
  std::atomic<bool> stop_requested_{false};  // read by DeliverDue between attempts
  bool woken_ ABSL_GUARDED_BY(worker_mu_) = false;
  std::thread worker_ ABSL_GUARDED_BY(worker_mu_);  // Stop moves it out to join
};

}  // namespace vault

#endif  // VAULT_NOTICES_PROCESSOR_NOTICES_H_
