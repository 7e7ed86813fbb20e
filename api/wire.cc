// Record -> wire message mapping and shared text parsers for vaultd.
#include "api/wire.h"

#include "absl/strings/numbers.h"
#include "api/views.h"
#include "base/strings.h"

namespace vault::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view StateName(records::KekVersion::State s) {
  switch (s) {
    case records::KekVersion::ACTIVE: return "active";
    case records::KekVersion::RETIRED: return "retired";
    case records::KekVersion::DESTROYED: return "destroyed";
    default: return "unknown";
  }
}

}  // namespace

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string Rfc3339FromUnixMillis(int64_t unix_ms) {
  return Rfc3339(absl::FromUnixMillis(unix_ms));
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
}

bool Unescape(std::string_view in, bool query, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (query && in[i] == '+') {
      out->push_back(' ');
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

absl::StatusOr<RevealLevel> RevealLevelOrMasked(std::string_view name) {
  return ParseRevealLevel(name.empty() ? "masked" : name);
}

absl::Status ParseDecimalDigits(std::string_view key, std::string_view value, uint64_t* out) {
  uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9' || n > (1ULL << 50)) {
      return absl::InvalidArgumentError(Cat(key, ": not a number"));
    }
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = n;
  return absl::OkStatus();
}

absl::Status ParseWholeNumber(std::string_view key, std::string_view value, uint64_t* out) {
  // Debian's Abseil has its own string_view type.
  if (!absl::SimpleAtoi(absl::string_view(value.data(), value.size()), out)) {
    return absl::InvalidArgumentError(Cat(key, " must be a whole number"));
  }
  return absl::OkStatus();
}

v1::AuditEntryView AuditEntryViewOf(const records::AuditEntry& e) {
  v1::AuditEntryView v;
  v.set_seq(static_cast<double>(e.seq()));
  v.set_time(Rfc3339FromUnixMillis(e.time_unix_ms()));
  v.set_principal(e.principal());
  v.set_action(e.action());
  v.set_subject(e.subject());
  for (const auto& t : e.types()) v.add_types(t);
  v.set_purpose(e.purpose());
  v.set_outcome(e.outcome());
  v.set_request_id(e.request_id());
  v.set_reason(e.reason());
  return v;
}

v1::JobResponse JobView(const records::RewrapJob& job) {
  v1::JobResponse out;
  out.set_job_id(job.job_id());
  out.set_state(job.state());
  out.set_done(static_cast<double>(job.done()));
  out.set_total(static_cast<double>(job.total()));
  out.set_tenant(job.tenant());
  out.set_error(job.error());
  return out;
}

v1::KeyList KeyListOf(const std::vector<KekInfo>& keys) {
  v1::KeyList out;
  for (const KekInfo& k : keys) {
    v1::KeyVersion* v = out.add_versions();
    v->set_version(static_cast<int32_t>(k.version));
    v->set_state(std::string(StateName(k.state)));
    v->set_created_at(Rfc3339(k.created_at));
  }
  return out;
}

v1::Tenant TenantView(const TenantInfo& info) {
  v1::Tenant out;
  out.set_id(info.id);
  out.set_residency(info.residency);
  out.set_created_at(Rfc3339(info.created_at));
  return out;
}

v1::RoleList RoleListOf(const std::vector<records::RoleRecord>& roles) {
  v1::RoleList out;
  for (const records::RoleRecord& r : roles) {
    v1::Role* role = out.add_roles();
    role->set_name(r.name());
    for (const auto& a : r.actions()) role->add_actions(a);
    for (const auto& t : r.types()) role->add_types(t);
    role->set_max_reveal(r.max_reveal());
    for (const auto& p : r.purposes()) role->add_purposes(p);
    role->set_require_purpose(r.require_purpose());
    role->set_allow_deterministic(r.allow_deterministic());
  }
  return out;
}

records::RoleRecord RoleRecordOf(const std::string& name, const v1::Role& in) {
  records::RoleRecord record;
  record.set_name(name);
  for (const auto& a : in.actions()) record.add_actions(a);
  for (const auto& t : in.types()) record.add_types(t);
  record.set_max_reveal(in.max_reveal());
  for (const auto& p : in.purposes()) record.add_purposes(p);
  record.set_require_purpose(in.require_purpose());
  record.set_allow_deterministic(in.allow_deterministic());
  return record;
}

v1::RetentionClass RetentionClassView(const records::RetentionClassRecord& r) {
  v1::RetentionClass out;
  out.set_name(r.name());
  out.set_duration_days(static_cast<int32_t>(r.duration_days()));
  return out;
}

v1::HoldResponse HoldView(const records::HoldRecord& hold) {
  v1::HoldResponse out;
  out.set_hold_id(hold.hold_id());
  out.set_reason(hold.reason());
  out.set_created_at(Rfc3339FromUnixMillis(hold.created_at_unix_ms()));
  return out;
}

v1::BackupResponse BackupView(const std::string& name, const BackupSummary& summary) {
  v1::BackupResponse out;
  out.set_name(name);
  out.set_path(summary.path);
  out.set_created_at(Rfc3339FromUnixMillis(summary.created_at_unix_ms));
  out.set_files(static_cast<double>(summary.files));
  out.set_bytes(static_cast<double>(summary.bytes));
  out.set_ledger_entries(static_cast<double>(summary.ledger_entries));
  if (summary.expires_at_unix_ms != 0) {
    out.set_expires_at(Rfc3339FromUnixMillis(summary.expires_at_unix_ms));
  }
  return out;
}

void SetFieldView(DataType type, std::string& value, std::string_view reveal, v1::FieldView* out) {
  out->set_type(std::string(DataTypeName(type)));
  out->set_value(std::move(value));
  out->set_reveal(std::string(reveal));
}

v1::ErasureResponse ErasureViewOf(const records::ErasureRecord& e) {
  v1::ErasureResponse out;
  out.set_erasure_id(e.erasure_id());
  out.set_state(e.state());
  if (e.state() == "pending") out.set_due_at(Rfc3339FromUnixMillis(e.due_at_unix_ms()));
  if (e.has_receipt()) {
    *out.mutable_receipt() = ReceiptView(e.receipt());
  }
  return out;
}

void AddRetained(const std::vector<records::RetainedRecord>& retained, v1::ErasureResponse* out) {
  for (const records::RetainedRecord& r : retained) {
    v1::RetainedView* view = out->add_retained();
    view->set_retention(r.class_name());
    for (const std::string& f : r.fields()) view->add_fields(f);
    view->set_expires_at(Rfc3339FromUnixMillis(r.expires_at_unix_ms()));
    view->set_state(r.state());
    view->set_expiry_erasure_id(r.expiry_erasure_id());
  }
}

}  // namespace vault::api
