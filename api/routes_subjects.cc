// Route handlers for a tenant's subjects (fields, search, erasure, holds,
// export), erasures and audit query.
// Thread-safety: stateless; see api/internal/routes.h.
// Never logs; plaintext values are wiped from request and reply buffers.
#include <map>
#include <utility>

#include "api/internal/fast_wire.h"
#include "api/internal/routes.h"
#include "api/wire.h"
#include "base/strings.h"
#include "crypto/secret_bytes.h"

namespace vault::api::internal {
namespace {

// An erasure as returned by the erasure routes; a finished erasure of a
// subject also lists what is retained of it.
HttpResponse ErasureReply(Call& call, const records::ErasureRecord& e, int status) {
  v1::ErasureResponse out = ErasureViewOf(e);
  if (e.state() == "done" && !e.subject().empty()) {
    absl::StatusOr<std::vector<records::RetainedRecord>> retained =
        call.access().RetainedOf(*call.ctx, e);
    if (!retained.ok()) return call.Error(retained.status());
    AddRetained(*retained, &out);
  }
  return call.Reply(out, status);
}

// The filters of GET /v1/tenants/{tenant}/audit from the query string.
absl::Status ParseAuditQuery(const Call& call, AuditQuery* q) {
  q->subject = call.QueryValue("subject");
  q->principal = call.QueryValue("principal");
  q->action = call.QueryValue("action");
  for (const char* key : {"since", "until"}) {
    const std::string value = call.QueryValue(key);
    if (value.empty()) continue;
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, value, &t, &err)) {
      return absl::InvalidArgumentError(Cat(key, ": not an RFC 3339 time"));
    }
    (std::string_view(key) == "since" ? q->since : q->until) = t;
  }
  for (const char* key : {"limit", "page_token"}) {
    const std::string value = call.QueryValue(key);
    if (value.empty()) continue;
    uint64_t n = 0;
    if (absl::Status st = ParseDecimalDigits(key, value, &n); !st.ok()) return st;
    if (std::string_view(key) == "limit") {
      if (n != 0) q->limit = n;  // 0 = the default
    } else {
      q->after_seq = n;
    }
  }
  return absl::OkStatus();
}

}  // namespace

HttpResponse HandleSearchSubjects(Call& call) {
  v1::SearchRequest in;
  if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
  absl::StatusOr<std::vector<std::string>> found =
      call.access().Search(*call.ctx, call.Param("tenant"), in.type(), in.value());
  crypto::SecureWipe(*in.mutable_value());
  if (!found.ok()) return call.Error(found.status());
  v1::SearchResponse out;
  for (const std::string& subject : *found) out.add_subjects(subject);
  return call.Reply(out);
}

HttpResponse HandlePutSubject(Call& call) {
  const std::string& subject = call.Param("subject");
  v1::PutSubjectRequest in;
  if (absl::Status st = ParseHot(call, &in, fast_codec::ParsePutSubjectRequest); !st.ok()) {
    return call.Error(st);
  }
  std::map<std::string, FieldInput> fields;
  for (const auto& [name, f] : in.fields()) fields[name] = {f.type(), f.value(), f.retention()};
  absl::StatusOr<std::map<std::string, std::string>> tokens =
      call.access().PutSubject(*call.ctx, call.Param("tenant"), subject, fields);
  for (auto& [name, f] : fields) crypto::SecureWipe(f.value);
  if (!tokens.ok()) return call.Error(tokens.status());
  v1::PutSubjectResponse out;
  out.set_subject(subject);
  for (const auto& [name, token] : *tokens) (*out.mutable_tokens())[name] = token;
  return ReplyHot(call, out, fast_codec::PrintPutSubjectResponse);
}

HttpResponse HandleReadSubject(Call& call) {
  const std::string& subject = call.Param("subject");
  std::vector<std::string> names;
  if (const std::string fields = call.QueryValue("fields"); !fields.empty()) {
    names = Split(fields, ',');
  }
  absl::StatusOr<RevealLevel> reveal = RevealLevelOrMasked(call.QueryValue("reveal"));
  if (!reveal.ok()) return call.Error(reveal.status());
  absl::StatusOr<SubjectView> view =
      call.access().ReadSubject(*call.ctx, call.Param("tenant"), subject, names, *reveal);
  if (!view.ok()) return call.Error(view.status());
  v1::SubjectResponse out;
  out.set_subject(subject);
  for (auto& [name, f] : view->fields) {
    SetFieldView(f.type, f.value, RevealLevelName(f.reveal), &(*out.mutable_fields())[name]);
  }
  for (const std::string& w : view->withheld) out.add_withheld(w);
  HttpResponse reply = ReplyHot(call, out, fast_codec::PrintSubjectResponse);
  for (auto& [name, f] : *out.mutable_fields()) crypto::SecureWipe(*f.mutable_value());
  return reply;
}

HttpResponse HandleDeleteField(Call& call) {
  if (absl::Status st = call.access().DeleteField(*call.ctx, call.Param("tenant"),
                                                  call.Param("subject"), call.Param("field"));
      !st.ok()) {
    return call.Error(st);
  }
  return call.NoContent();
}

HttpResponse HandleRequestErasure(Call& call) {
  v1::ErasureRequest in;
  if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
  const int64_t grace = in.has_grace_seconds() ? in.grace_seconds() : 259200;
  if (grace < 0) return call.Error(absl::InvalidArgumentError("grace_seconds must be >= 0"));
  absl::StatusOr<records::ErasureRecord> e = call.access().RequestErasure(
      *call.ctx, call.Param("tenant"), call.Param("subject"), absl::Seconds(grace));
  if (!e.ok()) return call.Error(e.status());
  if (call.metrics != nullptr && e->state() == "done") call.metrics->Add("shreds");
  return ErasureReply(call, *e, e->state() == "done" ? 200 : 202);
}

HttpResponse HandleCancelErasure(Call& call) {
  absl::StatusOr<records::ErasureRecord> e =
      call.access().CancelErasure(*call.ctx, call.Param("tenant"), call.Param("subject"));
  if (!e.ok()) return call.Error(e.status());
  return call.NoContent();
}

HttpResponse HandlePutHold(Call& call) {
  v1::HoldRequest in;
  if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
  absl::StatusOr<records::HoldRecord> hold = call.access().PutHold(
      *call.ctx, call.Param("tenant"), call.Param("subject"), call.Param("hold_id"), in.reason());
  if (!hold.ok()) return call.Error(hold.status());
  return call.Reply(HoldView(*hold));
}

HttpResponse HandleReleaseHold(Call& call) {
  if (absl::Status st = call.access().ReleaseHold(*call.ctx, call.Param("tenant"),
                                                  call.Param("subject"), call.Param("hold_id"));
      !st.ok()) {
    return call.Error(st);
  }
  return call.NoContent();
}

HttpResponse HandleExportSubject(Call& call) {
  const std::string& subject = call.Param("subject");
  absl::StatusOr<SubjectExport> ex = call.access().Export(*call.ctx, call.Param("tenant"), subject);
  if (!ex.ok()) return call.Error(ex.status());
  v1::ExportResponse out;
  out.set_subject(subject);
  for (auto& [name, f] : ex->fields) {
    SetFieldView(f.type, f.value, "plain", &(*out.mutable_fields())[name]);
  }
  for (const records::HoldRecord& h : ex->holds) *out.add_holds() = HoldView(h);
  if (ex->pending_erasure.has_value()) {
    out.mutable_erasure()->set_erasure_id(ex->pending_erasure->erasure_id());
    out.mutable_erasure()->set_state(ex->pending_erasure->state());
    out.mutable_erasure()->set_due_at(Rfc3339FromUnixMillis(ex->pending_erasure->due_at_unix_ms()));
  }
  for (const records::AuditEntry& e : ex->access_report) {
    *out.add_access_report() = AuditEntryViewOf(e);
  }
  *out.mutable_consent() = ConsentView(ex->consent);
  for (const Consent& c : ex->consent_history) *out.add_consent_history() = ConsentView(c);
  out.set_residency(ex->residency);
  HttpResponse reply = call.Reply(out);
  for (auto& [name, f] : *out.mutable_fields()) crypto::SecureWipe(*f.mutable_value());
  return reply;
}

HttpResponse HandleGetErasure(Call& call) {
  absl::StatusOr<records::ErasureRecord> e =
      call.access().GetErasure(*call.ctx, call.Param("tenant"), call.Param("erasure_id"));
  if (!e.ok()) return call.Error(e.status());
  return ErasureReply(call, *e, 200);
}

HttpResponse HandleQueryAudit(Call& call) {
  AuditQuery q;
  q.tenant = call.Param("tenant");
  if (absl::Status st = ParseAuditQuery(call, &q); !st.ok()) return call.Error(st);
  absl::StatusOr<AuditPage> page = call.access().QueryAudit(*call.ctx, q);
  if (!page.ok()) return call.Error(page.status());
  v1::AuditQueryResponse out;
  for (const records::AuditEntry& e : page->entries) *out.add_entries() = AuditEntryViewOf(e);
  if (page->next_after_seq != 0) out.set_next_page_token(std::to_string(page->next_after_seq));
  return call.Reply(out);
}

}  // namespace vault::api::internal
