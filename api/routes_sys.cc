// Route handlers for /metrics, /v1/sys/... and /v1/jobs/{job_id}.
// Thread-safety: stateless; see api/internal/routes.h.
// Never logs; unseal shares and API keys only pass through to the reply.
#include <google/protobuf/util/json_util.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <map>
#include <utility>

#include "api/internal/routes.h"
#include "api/views.h"
#include "api/wire.h"
#include "base/strings.h"
#include "crypto/encoding.h"
#include "crypto/secret_bytes.h"

namespace vault::api::internal {

namespace {

// Locked memory (where every unwrapped key lives) against RLIMIT_MEMLOCK,
// and the erasure and rewrap-job views of the store.
void AddObservedGauges(const ObservedState& o, std::map<std::string, double>* gauges) {
  const crypto::LockedMemoryReport locked = crypto::GetLockedMemoryReport();
  (*gauges)["locked_memory_pool_bytes"] = static_cast<double>(locked.pool_bytes);
  (*gauges)["locked_memory_lock_failures"] = static_cast<double>(locked.lock_failures);
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_MEMLOCK, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    (*gauges)["locked_memory_limit_bytes"] = static_cast<double>(lim.rlim_cur);
  }
  (*gauges)["observe_ok"] = o.ok ? 1 : 0;
  (*gauges)["erasures_due"] = o.erasures_due;
  (*gauges)["erasures_due_held"] = o.erasures_due_held;
  (*gauges)["erasures_oldest_due_timestamp_seconds"] =
      static_cast<double>(o.oldest_due_unix_ms) / 1000;
  (*gauges)["rewrap_jobs_running"] = o.rewrap_jobs_running;
  (*gauges)["rewrap_jobs_failed"] = o.rewrap_jobs_failed;
  (*gauges)["rewrap_jobs_running_keys_done"] = static_cast<double>(o.rewrap_running_keys_done);
  (*gauges)["rewrap_jobs_oldest_running_started_timestamp_seconds"] =
      static_cast<double>(o.oldest_running_job_created_unix_ms) / 1000;
}

// Console/#18: the data folder's filesystem (read at each scrape; absent
// when statvfs fails) and the subject-key (DEK) cache against its cap.
void AddResourceGauges(const std::string& data_dir, const SystemStatus& status,
                       std::map<std::string, double>* gauges) {
  struct statvfs fs {};
  if (!data_dir.empty() && ::statvfs(data_dir.c_str(), &fs) == 0) {
    const double unit = static_cast<double>(fs.f_frsize);
    // What vaultd itself may still use (f_bavail: not the root reserve).
    (*gauges)["storage_free_bytes"] = static_cast<double>(fs.f_bavail) * unit;
    (*gauges)["storage_total_bytes"] = static_cast<double>(fs.f_blocks) * unit;
  }
  (*gauges)["key_cache_entries"] = static_cast<double>(status.dek_cache_entries);
  (*gauges)["key_cache_capacity"] = static_cast<double>(status.dek_cache_capacity);
}

}  // namespace

HttpResponse HandleMetrics(Call& call) {
  const SystemStatus status = call.vault->system().Status();
  const storage::StorageHealth& storage = status.storage;
  std::map<std::string, double> gauges = {
      {"sealed", status.sealed ? 1 : 0},
      {"initialized", status.initialized ? 1 : 0},
      {"storage_writable", storage.writable ? 1 : 0},
      {"storage_reserve_released", storage.reserve_released ? 1 : 0},
      {"audit_entries_appended", static_cast<double>(status.audit_entries_appended)},
      {"commit_groups", static_cast<double>(status.commit_groups)},
      {"cluster_sync_reads", static_cast<double>(status.cluster_sync_reads)},
      {"cluster_cache_drops", static_cast<double>(status.cluster_cache_drops)}};
  AddObservedGauges(call.vault->system().Observe(), &gauges);
  AddResourceGauges(call.vault->data_dir(), status, &gauges);
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = call.metrics != nullptr ? call.metrics->Render(gauges) : "";
  r.body += Metrics::RenderStorageErrors(storage.no_space_errors, storage.io_errors);
  r.body += Metrics::RenderCounter("vaultd_audit_write_failures_total",
                                   "Audited calls refused because the audit log could not be "
                                   "written (fail closed).",
                                   status.audit_write_failures);
  return r;
}

HttpResponse HandleHealth(Call& call) {
  const SystemStatus status = call.vault->system().Status();
  v1::HealthResponse h;
  h.set_initialized(status.initialized);
  h.set_sealed(status.sealed);
  h.set_version(call.handler_options->version);
  const storage::StorageHealth& storage = status.storage;
  h.set_storage(call.handler_options->storage);
  h.set_node_id(call.handler_options->node_id);
  v1::StorageHealth* sh = h.mutable_storage_health();
  sh->set_writable(storage.writable);
  sh->set_reserve_released(storage.reserve_released);
  sh->set_error(!storage.writable ? storage.error : storage.reserve_released ? "low_space" : "");
  sh->set_ok(sh->error().empty());
  // The status code keeps its meaning (initialised and unsealed); storage
  // problems are told by the field.
  return call.Reply(h, h.initialized() && !h.sealed() ? 200 : 503);
}

HttpResponse HandleInit(Call& call) {
  v1::InitRequest in;
  if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
  const int shares = in.shares() == 0 ? 5 : in.shares();
  const int threshold = in.threshold() == 0 ? 3 : in.threshold();
  absl::StatusOr<KeyHierarchy::ShamirInit> init =
      call.vault->system().Initialize(shares, threshold);
  if (!init.ok()) return call.Error(init.status());
  v1::InitResponse out;
  for (std::string& share : init->shares) out.add_unseal_shares(std::move(share));
  out.set_root_api_key(std::move(init->root_api_key));
  return call.Reply(out);
}

HttpResponse HandleUnseal(Call& call) {
  v1::UnsealRequest in;
  if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
  absl::StatusOr<KeyHierarchy::UnsealProgress> p =
      call.vault->system().SubmitUnsealShare(in.share());
  if (!p.ok()) return call.Error(p.status());
  v1::UnsealResponse out;
  out.set_sealed(p->sealed);
  out.set_progress(p->progress);
  out.set_threshold(p->threshold);
  return call.Reply(out);
}

HttpResponse HandleReceiptKey(Call& call) {
  absl::StatusOr<std::string> pk = call.vault->system().ReceiptPublicKey();
  if (!pk.ok()) return call.Error(pk.status());
  v1::ReceiptKeyResponse out;
  out.set_public_key(crypto::Base64Encode(*pk));
  return call.Reply(out);
}

HttpResponse HandleSeal(Call& call) {
  if (absl::Status s = call.access().Seal(*call.ctx); !s.ok()) return call.Error(s);
  return call.NoContent();
}

HttpResponse HandleAuditVerify(Call& call) {
  absl::StatusOr<AuditVerification> v = call.access().VerifyAudit(*call.ctx);
  if (!v.ok()) return call.Error(v.status());
  v1::AuditVerifyResponse out;
  out.set_ok(v->ok);
  out.set_entries(static_cast<double>(v->entries));
  out.set_head(v->head);
  out.set_problem(v->problem);
  return call.Reply(out);
}

HttpResponse HandleRotateRoot(Call& call) {
  absl::StatusOr<uint32_t> version = call.access().RotateRoot(*call.ctx);
  if (!version.ok()) return call.Error(version.status());
  v1::RotateRootResponse out;
  out.set_root_key_version(static_cast<int32_t>(*version));
  return call.Reply(out);
}

HttpResponse HandleCreateBackup(Call& call) {
  v1::BackupRequest in;
  if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
  absl::StatusOr<BackupSummary> summary = call.access().CreateBackup(
      *call.ctx, call.handler_options->backup_dir, in.name(),
      absl::Seconds(
          static_cast<int64_t>(std::min<uint64_t>(in.expires_in_seconds(), uint64_t{1} << 40))));
  if (!summary.ok()) return call.Error(summary.status());
  return call.Reply(BackupView(in.name(), *summary));
}

namespace {

// JSON lines: the checkpoints of the page first, then its entries.
absl::StatusOr<std::string> AuditExportLines(const AuditExportPage& page) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string body;
  auto add_line = [&](const records::AuditExportLine& line) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(line, &json, options).ok()) return false;
    body += json;
    body += '\n';
    return true;
  };
  for (const records::AuditCheckpoint& c : page.checkpoints) {
    records::AuditExportLine line;
    *line.mutable_checkpoint() = c;
    if (!add_line(line)) return absl::InternalError("encoding failed");
  }
  for (const records::AuditEntry& e : page.entries) {
    records::AuditExportLine line;
    *line.mutable_entry() = e;
    if (!add_line(line)) return absl::InternalError("encoding failed");
  }
  return body;
}

}  // namespace

HttpResponse HandleAuditExport(Call& call) {
  uint64_t after = 0, limit = 10000;
  for (auto [name, target] : {std::pair<const char*, uint64_t*>{"after_seq", &after},
                              std::pair<const char*, uint64_t*>{"limit", &limit}}) {
    auto it = call.query.find(name);
    if (it == call.query.end()) continue;
    if (absl::Status st = ParseWholeNumber(name, it->second, target); !st.ok()) {
      return call.Error(st);
    }
  }
  if (limit == 0 || limit > 100000) {
    return call.Error(absl::InvalidArgumentError("limit must be 1-100000"));
  }
  absl::StatusOr<AuditExportPage> page = call.access().ExportAudit(*call.ctx, after, limit);
  if (!page.ok()) return call.Error(page.status());
  absl::StatusOr<std::string> body = AuditExportLines(*page);
  if (!body.ok()) return call.Error(body.status());
  HttpResponse r;
  r.content_type = "application/x-ndjson";
  r.body = std::move(*body);
  if (page->next_after_seq != 0) {
    r.headers.emplace_back("X-Next-After-Seq", std::to_string(page->next_after_seq));
  }
  return r;
}

HttpResponse HandleShredLedger(Call& call) {
  absl::StatusOr<DataAccess::LedgerExport> ledger = call.access().ShredLedger(*call.ctx);
  if (!ledger.ok()) return call.Error(ledger.status());
  v1::ShredLedgerResponse out;
  for (const records::ErasureRecord& e : ledger->done) {
    *out.add_receipts() = ReceiptView(e.receipt());
  }
  *out.mutable_state() = std::move(ledger->state);
  return call.Reply(out);
}

HttpResponse HandleGetJob(Call& call) {
  absl::StatusOr<records::RewrapJob> job = call.access().GetJob(*call.ctx, call.Param("job_id"));
  if (!job.ok()) return call.Error(job.status());
  return call.Reply(JobView(*job));
}

HttpResponse HandleRekey(Call& call) {
  v1::RekeyRequest in;
  absl::Status parsed = call.Parse(&in);
  absl::StatusOr<KeyHierarchy::RekeyProgress> p =
      parsed.ok() ? call.vault->system().SubmitRekeyShare(in.shares(), in.threshold(), in.share(),
                                                          call.request_id)
                  : absl::StatusOr<KeyHierarchy::RekeyProgress>(parsed);
  crypto::SecureWipe(*in.mutable_share());
  if (!p.ok()) return call.Error(p.status());
  v1::RekeyResponse out;
  out.set_complete(p->complete);
  out.set_progress(p->progress);
  out.set_threshold(p->threshold);
  for (std::string& share : p->shares) out.add_unseal_shares(std::move(share));
  return call.Reply(out);
}

HttpResponse HandleCancelRekey(Call& call) {
  call.vault->system().CancelRekey(call.request_id);
  return call.NoContent();
}

HttpResponse HandleRotateRootApiKey(Call& call) {
  absl::StatusOr<std::string> key = call.access().RotateRootApiKey(*call.ctx);
  if (!key.ok()) return call.Error(key.status());
  v1::RotateRootApiKeyResponse out;
  out.set_root_api_key(std::move(*key));
  return call.Reply(out);
}

}  // namespace vault::api::internal
