// libFuzzer target: vaultd's request handling end to end without sockets:
// routing, query strings, JSON and binary protobuf decoding, authorization
// and the domain beneath, on an in-memory vault. Input: first byte picks the
// method and content type; then "target\n" and the body.
#include <unistd.h>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "api/request_handler.h"
#include "tests/fuzz/fail_on_library_log.h"
#include "vault/audit/audit_log.h"
#include "vault/internal/vault_parts.h"
#include "vault/storage/memory_kv_store.h"
#include "vault/vault.h"

using vault::internal::Parts;

namespace {

struct Env {
  std::unique_ptr<vault::Vault> vault;
  std::unique_ptr<vault::api::RequestHandler> handler;
  std::string root_key;
  std::string app_key;  // a tenant principal allowed every data action
  // The audit chain as verified so far: each input's new entries must
  // extend it (read back, parse, link and hash).
  std::unique_ptr<vault::AuditChainVerifier> chain;
  uint64_t verified_seq = 0;
};

// Reads the entries appended since the last input and checks that they
// still form a valid chain; any unreadable entry fails the run. The whole
// chain is walked again (Verify) every 500 inputs.
void CheckAuditChain(Env* env) {
  static uint64_t inputs = 0;
  for (;;) {
    absl::StatusOr<vault::AuditExportPage> page =
        Parts(*env->vault).audit().Export(env->verified_seq, 1000);
    if (!page.ok()) {
      std::fprintf(stderr, "audit export failed: %s\n", page.status().ToString().c_str());
      std::abort();
    }
    for (const auto& entry : page->entries) {
      if (!env->chain->AddEntry(entry)) {
        std::fprintf(stderr, "audit chain broken at %llu: %s\n",
                     static_cast<unsigned long long>(entry.seq()),
                     env->chain->result().problem.c_str());
        std::abort();
      }
      env->verified_seq = entry.seq();
    }
    if (page->next_after_seq == 0) break;
  }
  if (++inputs % 500 == 0) {
    absl::StatusOr<vault::AuditVerification> v = Parts(*env->vault).audit().Verify();
    if (!v.ok() || !v->ok) {
      std::fprintf(stderr, "audit verify failed: %s\n",
                   v.ok() ? v->problem.c_str() : v.status().ToString().c_str());
      std::abort();
    }
  }
}

Env* MakeEnv() {
  auto* env = new Env;
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("vaultd-fuzz-" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove_all(dir);
  vault::VaultOptions options;
  options.data_dir = dir;
  options.clock = &vault::SystemClock::Instance();
  options.random = &vault::crypto::SystemRandom::Instance();
  options.kv = std::make_unique<vault::storage::MemoryKvStore>();
  auto opened = vault::Vault::Open(std::move(options));
  if (!opened.ok() || !(*opened)->InitializeAndUnsealDev().ok()) std::abort();
  env->vault = std::move(*opened);
  std::ifstream key_file(env->vault->DevRootApiKeyPath());
  std::getline(key_file, env->root_key);
  while (!env->root_key.empty() && env->root_key.back() == '\n') env->root_key.pop_back();
  env->handler = std::make_unique<vault::api::RequestHandler>(env->vault.get(), nullptr);
  // A tenant with a role and data, so deeper paths are reachable.
  vault::api::HttpRequest req;
  req.headers["authorization"] = "Bearer " + env->root_key;
  req.method = "POST";
  req.path = "/v1/tenants";
  req.body = R"({"id": "acme"})";
  env->handler->Handle(req);
  req.method = "PUT";
  req.path = "/v1/tenants/acme/roles/all";
  req.body = R"({"actions": ["tokenize", "detokenize", "write", "read", "search", "erase", "hold",
                             "export", "audit", "keys"],
                 "types": ["*"], "max_reveal": "plain", "purposes": ["support", "legal"]})";
  if (env->handler->Handle(req).status != 200) std::abort();
  req.method = "POST";
  req.path = "/v1/tenants/acme/principals";
  req.body = R"({"name": "fuzz", "roles": ["all"]})";
  vault::api::HttpResponse p = env->handler->Handle(req);
  const size_t at = p.body.find("vaultd_");
  if (p.status != 201 || at == std::string::npos) std::abort();
  env->app_key = p.body.substr(at, p.body.find('"', at) - at);
  absl::StatusOr<std::string> public_key = Parts(*env->vault).keys().SigningPublicKey();
  if (!public_key.ok()) std::abort();
  env->chain = std::make_unique<vault::AuditChainVerifier>(*public_key);
  return env;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Env* env = MakeEnv();
  if (size < 2) return 0;
  static const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};
  vault::api::HttpRequest req;
  req.method = kMethods[data[0] & 3];
  if (data[0] & 4) req.headers["content-type"] = "application/x-protobuf";
  // Bit 3: send a key; bit 5: the operator's rather than the application's.
  if (data[0] & 8) {
    req.headers["authorization"] = "Bearer " + ((data[0] & 32) ? env->root_key : env->app_key);
  }
  if (data[0] & 16) req.headers["x-purpose"] = "support";
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t nl = rest.find('\n');
  std::string target = rest.substr(0, nl);
  req.body = nl == std::string::npos ? "" : rest.substr(nl + 1);
  const size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = target.substr(q + 1);
  // Sealing the vault or erasing the tenant would end the useful part of the run.
  if (req.path.find("seal") != std::string::npos ||
      (req.method == "DELETE" && req.path.rfind("/v1/tenants/", 0) == 0 &&
       req.path.find('/', 12) == std::string::npos)) {
    return 0;
  }
  vault::api::HttpResponse r = env->handler->Handle(req);
  if (r.status < 200 || r.status > 599) std::abort();
  CheckAuditChain(env);
  return 0;
}
