// vaultctl report get|verify: a data subject's signed access report (#17).
// Thread-safety: single-threaded. `report verify` is offline: it reads a
// file and the vault's public key and never talks to the server. Reports
// name a subject, so `get --out` creates its file 0600.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "client/json.h"
#include "ops/cli.h"
#include "vault/audit/access_report.h"

namespace vault::ops {
namespace {

struct Flags {
  std::string tenant, subject, since, until, out_path = "-", file, key_b64, key_file;
};

AccessReport ReportFromView(const v1::AccessReportResponse& v) {
  AccessReport r;
  r.tenant = v.tenant();
  r.subject = v.subject();
  r.residency = v.residency();
  r.since = v.since();
  r.until = v.until();
  r.generated_at = v.generated_at();
  for (const v1::AccessReportEntryView& e : v.entries()) {
    AccessReportEntry line;
    line.seq = static_cast<uint64_t>(e.seq());
    line.time = e.time();
    line.principal = e.principal();
    line.action = e.action();
    line.subject_ref = e.subject_ref();
    line.types.assign(e.types().begin(), e.types().end());
    line.purpose = e.purpose();
    line.outcome = e.outcome();
    line.reason = e.reason();
    line.request_id = e.request_id();
    line.hash = e.hash();
    r.entries.push_back(std::move(line));
  }
  r.signature = v.signature();
  r.public_key = v.public_key();
  return r;
}

int Get(const Globals& g, const Flags& f) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  absl::StatusOr<v1::AccessReportResponse> report =
      (*c)->GetAccessReport(f.tenant, f.subject, f.since, f.until);
  if (!report.ok()) return Fail(report.status());
  const std::string json = client::ToJson(*report);
  if (f.out_path == "-") {
    std::printf("%s\n", json.c_str());
    return kOk;
  }
  if (absl::Status s = WritePrivateFile(base::Env::Posix(), f.out_path, json + "\n"); !s.ok()) {
    return Fail(s);
  }
  if (!g.json) {
    std::printf("access report of %s: %d entries, written to %s\n", f.subject.c_str(),
                report->entries_size(), f.out_path.c_str());
  }
  return kOk;
}

int Verify(const Globals& g, const Flags& f) {
  absl::StatusOr<std::string> key = PublicKeyFrom(f.key_b64, f.key_file);
  if (!key.ok()) return Usage(std::string(key.status().message()));
  absl::StatusOr<std::string> json = ReadFileOrStdin(f.file);
  if (!json.ok()) return Fail(json.status());
  v1::AccessReportResponse view;
  if (!client::ParseJson(*json, &view).ok()) {
    return Fail(absl::InvalidArgumentError("not an access report"));
  }
  const AccessReport report = ReportFromView(view);
  if (absl::Status s = VerifyAccessReport(report, *key); !s.ok()) {
    return Fail(absl::PermissionDeniedError(
        "access report does NOT verify under the given public key (altered, or another vault's)"));
  }
  if (!g.json) {
    std::printf("access report verifies: tenant %s, subject %s, %zu entries from %s to %s\n",
                report.tenant.c_str(), report.subject.c_str(), report.entries.size(),
                report.since.empty() ? "the start" : report.since.c_str(), report.until.c_str());
  } else {
    std::printf("{\"ok\": true, \"entries\": %zu}\n", report.entries.size());
  }
  return kOk;
}

}  // namespace

void AddReportCommands(CLI::App& app, Globals& g) {
  auto f = std::make_shared<Flags>();
  auto* report = app.add_subcommand("report", "a data subject's signed access report");
  report->require_subcommand(1);
  auto* get = report->add_subcommand("get", "fetch the report (action export)");
  get->add_option("--tenant", f->tenant, "tenant id")->required();
  get->add_option("--subject", f->subject, "subject id")->required();
  get->add_option("--since", f->since, "RFC 3339 start (default: the first entry)");
  get->add_option("--until", f->until, "RFC 3339 end, exclusive (default: now)");
  get->add_option("--out", f->out_path, "output file, created 0600 (default standard output)");
  OnRun(get, g, [&g, f] { return Get(g, *f); });
  auto* verify =
      report->add_subcommand("verify", "verify a report offline against the vault's public key");
  verify->add_option("--file", f->file, "the report (vaultctl report get), - = stdin")->required();
  verify->add_option("--public-key", f->key_b64, "vault public key, base64");
  verify->add_option("--public-key-file", f->key_file, "file with the key");
  OnRun(verify, g, [&g, f] {
    if (f->key_b64.empty() && f->key_file.empty()) return Usage("verify needs --public-key");
    return Verify(g, *f);
  });
}

}  // namespace vault::ops
