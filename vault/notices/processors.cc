// ProcessorNotices: the registry of a tenant's processors and the queueing
// of erasure notices (delivery is in notice_delivery.cc).
#include <algorithm>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/model/record_keys.h"
#include "vault/notices/internal/notice_keys.h"
#include "vault/notices/processor_notices.h"
#include "vault/notices/processor_url.h"

namespace vault {

using notices_internal::NoticeKey;
using notices_internal::NoticePrefix;
using notices_internal::ProcessorKey;
using notices_internal::ProcessorPrefix;

namespace {

absl::Status ValidateProcessorName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError("processor name must be 1-64 characters");
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      return absl::InvalidArgumentError("processor name must be of a-z 0-9 - _");
    }
  }
  return absl::OkStatus();
}

// The events, each known, without repeats, in the order given.
absl::StatusOr<std::vector<std::string>> CheckEvents(const std::vector<std::string>& events) {
  if (events.empty()) {
    return absl::InvalidArgumentError("events must name at least one event (erasure)");
  }
  std::vector<std::string> out;
  for (const std::string& e : events) {
    if (e != ProcessorNotices::kErasureEvent) {
      return absl::InvalidArgumentError("events: unknown event (known: erasure)");
    }
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  }
  return out;
}

bool WantsErasures(const records::ProcessorRecord& p) {
  return std::find(p.events().begin(), p.events().end(), ProcessorNotices::kErasureEvent) !=
         p.events().end();
}

}  // namespace

absl::StatusOr<records::ProcessorRecord> ProcessorNotices::Load(std::string_view tenant,
                                                                std::string_view name) {
  absl::StatusOr<std::string> stored =
      options_.kv->Get(storage::Table::kMeta, ProcessorKey(tenant, name));
  if (!stored.ok()) {
    if (absl::IsNotFound(stored.status())) return absl::NotFoundError("unknown processor");
    return stored.status();
  }
  records::ProcessorRecord record;
  if (!record.ParseFromString(*stored)) return absl::DataLossError("processor record is corrupt");
  return record;
}

absl::StatusOr<uint64_t> ProcessorNotices::CountPending(std::string_view tenant,
                                                        std::string_view name) {
  uint64_t pending = 0;
  RETURN_IF_ERROR(options_.kv->ScanPrefix(storage::Table::kMeta, NoticePrefix(tenant, name),
                                          [&](std::string_view, std::string_view) {
                                            ++pending;
                                            return true;
                                          }));
  return pending;
}

absl::StatusOr<ProcessorStatus> ProcessorNotices::Put(std::string_view tenant,
                                                      std::string_view name, std::string_view url,
                                                      const std::vector<std::string>& events,
                                                      std::vector<AuditEvent> audit) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(ValidateProcessorName(name));
  RETURN_IF_ERROR(ParseProcessorUrl(url).status());
  ASSIGN_OR_RETURN(std::vector<std::string> checked, CheckEvents(events));
  RETURN_IF_ERROR(options_.keys->GetTenant(tenant).status());

  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now_ms = absl::ToUnixMillis(options_.clock->Now());
  absl::StatusOr<records::ProcessorRecord> existing = Load(tenant, name);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
  records::ProcessorRecord record;
  if (existing.ok()) {
    record = *existing;
  } else {
    record.set_name(std::string(name));
    record.set_created_at_unix_ms(now_ms);
  }
  record.set_url(std::string(url));
  record.clear_events();
  for (std::string& e : checked) record.add_events(std::move(e));
  record.set_updated_at_unix_ms(now_ms);
  for (AuditEvent& e : audit) {
    e.reason = Cat(existing.ok() ? "processor changed: " : "processor registered: ", name);
  }
  storage::WriteBatch batch;
  batch.Put(storage::Table::kMeta, ProcessorKey(tenant, name), record.SerializeAsString());
  // A new URL (a fix after failures) makes the pending notices due at once.
  if (existing.ok() && existing->url() != url) {
    RETURN_IF_ERROR(AddRetryNow(tenant, name, now_ms, &batch));
  }
  RETURN_IF_ERROR(options_.committer->Commit(batch, &audit));
  ASSIGN_OR_RETURN(uint64_t pending, CountPending(tenant, name));
  return ProcessorStatus{std::move(record), pending};
}

absl::Status ProcessorNotices::AddRetryNow(std::string_view tenant, std::string_view name,
                                           int64_t now_ms, storage::WriteBatch* batch) {
  return options_.kv->ScanPrefix(storage::Table::kMeta, NoticePrefix(tenant, name),
                                 [&](std::string_view key, std::string_view v) {
                                   records::NoticeRecord notice;
                                   if (!notice.ParseFromArray(v.data(), static_cast<int>(v.size())))
                                     return true;
                                   notice.set_next_attempt_unix_ms(now_ms);
                                   batch->Put(storage::Table::kMeta, key,
                                              notice.SerializeAsString());
                                   return true;
                                 });
}

absl::StatusOr<ProcessorStatus> ProcessorNotices::Get(std::string_view tenant,
                                                      std::string_view name) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(ValidateProcessorName(name));
  ASSIGN_OR_RETURN(records::ProcessorRecord record, Load(tenant, name));
  ASSIGN_OR_RETURN(uint64_t pending, CountPending(tenant, name));
  return ProcessorStatus{std::move(record), pending};
}

absl::Status ProcessorNotices::Delete(std::string_view tenant, std::string_view name,
                                      std::vector<AuditEvent> audit) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(ValidateProcessorName(name));
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(Load(tenant, name).status());
  storage::WriteBatch batch;
  batch.Delete(storage::Table::kMeta, ProcessorKey(tenant, name));
  RETURN_IF_ERROR(options_.kv->ScanPrefix(storage::Table::kMeta, NoticePrefix(tenant, name),
                                          [&](std::string_view key, std::string_view) {
                                            batch.Delete(storage::Table::kMeta, key);
                                            return true;
                                          }));
  for (AuditEvent& e : audit) e.reason = Cat("processor deleted: ", name);
  return options_.committer->Commit(batch, &audit);
}

absl::StatusOr<std::vector<ProcessorStatus>> ProcessorNotices::List(std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  std::vector<ProcessorStatus> out;
  absl::Status corrupt;
  RETURN_IF_ERROR(options_.kv->ScanPrefix(
      storage::Table::kMeta, ProcessorPrefix(tenant), [&](std::string_view, std::string_view v) {
        records::ProcessorRecord record;
        if (!record.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
          corrupt = absl::DataLossError("processor record is corrupt");
          return false;
        }
        out.push_back(ProcessorStatus{std::move(record), 0});
        return true;
      }));
  RETURN_IF_ERROR(corrupt);
  for (ProcessorStatus& p : out) {
    ASSIGN_OR_RETURN(p.pending, CountPending(tenant, p.record.name()));
  }
  return out;
}

absl::Status ProcessorNotices::AddErasureNotices(const records::ErasureRecord& erasure,
                                                 storage::WriteBatch* batch) {
  const int64_t now_ms = absl::ToUnixMillis(options_.clock->Now());
  absl::Status corrupt;
  RETURN_IF_ERROR(options_.kv->ScanPrefix(
      storage::Table::kMeta, ProcessorPrefix(erasure.tenant()),
      [&](std::string_view, std::string_view v) {
        records::ProcessorRecord processor;
        if (!processor.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
          corrupt = absl::DataLossError("processor record is corrupt");
          return false;
        }
        if (!WantsErasures(processor)) return true;
        records::NoticeRecord notice;
        notice.set_tenant(erasure.tenant());
        notice.set_processor(processor.name());
        notice.set_erasure_id(erasure.erasure_id());
        notice.set_event(std::string(kErasureEvent));
        notice.set_created_at_unix_ms(now_ms);
        notice.set_next_attempt_unix_ms(now_ms);
        batch->Put(storage::Table::kMeta,
                   NoticeKey(erasure.tenant(), processor.name(), erasure.erasure_id()),
                   notice.SerializeAsString());
        return true;
      }));
  return corrupt;
}

}  // namespace vault
