// vaultctl keys list|rotate|rewrap and jobs get.
// Thread-safety: single-threaded. Never prints key material (the server
// answers with versions and states only).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ops/cli.h"
#include "ops/progress.h"

namespace vault::ops {
namespace {

std::string KeyTable(const v1::KeyList& keys) {
  std::string out = absl::StrFormat("%-8s %-10s %s", "VERSION", "STATE", "CREATED");
  for (const v1::KeyVersion& k : keys.versions()) {
    absl::StrAppendFormat(&out, "\n%-8d %-10s %s", k.version(), k.state(), k.created_at());
  }
  return out;
}

// Follows a job until it ends (wait) or reads it once; kOk unless it failed.
int FollowJob(const Globals& g, VaultClient& c, const std::string& job_id, bool wait) {
  Progress progress(stderr, absl::StrCat("rewrap ", job_id), ::isatty(STDERR_FILENO) == 1);
  v1::JobResponse job;
  for (;;) {
    absl::StatusOr<v1::JobResponse> answer = c.GetJob(job_id);
    if (!answer.ok()) return Fail(answer.status());
    job = *std::move(answer);
    if (!wait || job.state() != "running") break;
    progress.Update(static_cast<uint64_t>(job.done()), static_cast<uint64_t>(job.total()),
                    job.state());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const auto done = static_cast<uint64_t>(job.done());
  const auto total = static_cast<uint64_t>(job.total());
  if (wait) progress.Finish(absl::StrCat(job.state(), " ", done, "/", total));
  PrintAnswer(g, job,
              wait ? "" : absl::StrCat("job ", job_id, ": ", job.state(), " ", done, "/", total));
  if (job.state() == "failed") {
    return Fail(absl::AbortedError(absl::StrCat("job ", job_id, " failed: ", job.error())));
  }
  return kOk;
}

int Rewrap(const Globals& g, const std::string& tenant, bool wait) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  absl::StatusOr<v1::JobResponse> job = (*c)->StartRewrap(tenant);
  if (!job.ok()) return Fail(job.status());
  if (!g.json) std::fprintf(stderr, "rewrap job %s started\n", job->job_id().c_str());
  return FollowJob(g, **c, job->job_id(), wait);
}

int GetJob(const Globals& g, const std::string& job_id, bool wait) {
  absl::StatusOr<std::unique_ptr<VaultClient>> c = Connect(g);
  if (!c.ok()) return Usage(std::string(c.status().message()));
  return FollowJob(g, **c, job_id, wait);
}

}  // namespace

void AddKeysCommands(CLI::App& app, Globals& g) {
  struct Flags {
    std::string tenant, job_id;
    bool no_wait = false, wait = false;
  };
  auto f = std::make_shared<Flags>();
  auto* keys = app.add_subcommand("keys", "tenant key-encryption keys");
  keys->require_subcommand(1);
  auto* list = keys->add_subcommand("list", "list the tenant's key versions");
  list->add_option("--tenant", f->tenant, "tenant id")->required();
  OnRun(list, g, [&g, f] {
    return CallAndPrint<v1::KeyList>(
        g, [f](VaultClient& c) { return c.ListKeys(f->tenant); }, KeyTable);
  });
  auto* rotate = keys->add_subcommand("rotate", "make a new active version (online)");
  rotate->add_option("--tenant", f->tenant, "tenant id")->required();
  OnRun(rotate, g, [&g, f] {
    return CallAndPrint<v1::KeyList>(
        g, [f](VaultClient& c) { return c.RotateKey(f->tenant); }, KeyTable);
  });
  auto* rewrap = keys->add_subcommand(
      "rewrap", "shred epoch: rotate, rewrap every data key, destroy older versions (a job)");
  rewrap->add_option("--tenant", f->tenant, "tenant id")->required();
  rewrap->add_flag("--no-wait", f->no_wait, "start the job and return");
  OnRun(rewrap, g, [&g, f] { return Rewrap(g, f->tenant, !f->no_wait); });

  auto* jobs = app.add_subcommand("jobs", "background jobs");
  jobs->require_subcommand(1);
  auto* job_get = jobs->add_subcommand("get", "a job's state and progress");
  job_get->add_option("job_id", f->job_id, "job id")->required();
  job_get->add_flag("--wait", f->wait, "follow the job until it ends");
  OnRun(job_get, g, [&g, f] { return GetJob(g, f->job_id, f->wait); });
}

}  // namespace vault::ops
