// vaultd entry point: flags and optional config file, start-up hardening,
// the vault (dev mode self-initialises and unseals from its key file), the
// HTTP server, and a clean stop on SIGINT/SIGTERM. Never logs keys, API keys
// or personal data.
#include <google/protobuf/text_format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#ifdef VAULTD_MIMALLOC
#include <mimalloc.h>
#endif

#include "CLI/CLI.hpp"
#include "api/config.pb.h"
#include "api/logging.h"
#include "api/node_storage.h"
#include "api/notice_sender.h"
#include "api/request_handler.h"
#include "api/server.h"
#include "api/storage_config.h"
#include "crypto/secret_bytes.h"
#include "spdlog/spdlog.h"
#include "vault/vault.h"

namespace {

// From the CMake project version (api/CMakeLists.txt), like the package.
constexpr char kVersion[] = VAULTD_VERSION;

// Core dumps could hold unwrapped keys: switch them off before any key exists.
void DisableCoreDumps() {
  struct rlimit zero {};
  if (::setrlimit(RLIMIT_CORE, &zero) != 0) spdlog::warn("could not disable core dumps");
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) spdlog::warn("could not mark process undumpable");
}

void ReportMlockLimit() {
#ifdef VAULTD_MIMALLOC
  spdlog::info("allocator: mimalloc {}", mi_version());
#endif
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_MEMLOCK, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    spdlog::info("locked-memory limit: {} KiB (keys live in locked memory)", lim.rlim_cur / 1024);
  }
}

bool SplitHostPort(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  try {
    int p = std::stoi(listen.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    *port = static_cast<uint16_t>(p);
  } catch (...) {
    return false;
  }
  return !host->empty();
}

struct Flags {
  std::string data_dir, listen, config_file, tls_cert, tls_key, tls_client_ca, backup_dir;
  std::string pkcs11_module, pkcs11_token, pkcs11_pin_file, log_format, region;
  std::string processor_ca_file;
  vault::api::NodeStorageFlags node;
  vault::api::StorageFlags storage;  // RocksDB tuning
  bool dev = false;
};

void AddFlags(CLI::App& app, Flags* f) {
  vault::api::AddStorageFlags(app, &f->storage);
  app.add_option("--data-dir", f->data_dir,
                 "data folder (created 0700 if missing); optional with --postgres");
  app.add_option("--postgres", f->node.postgres,
                 "keep the vault's records in this PostgreSQL database (libpq conninfo or URI)");
  app.add_option("--node-id", f->node.node_id, "this node's name in health (default: host name)");
  app.add_option("--listen", f->listen,
                 "HOST:PORT to listen on (default 127.0.0.1:8200; port 0 = any)");
  app.add_option("--config", f->config_file, "configuration file (protobuf text format)");
  app.add_option("--tls-cert", f->tls_cert, "PEM certificate chain: serve HTTPS");
  app.add_option("--tls-key", f->tls_key, "PEM private key for --tls-cert");
  app.add_option("--tls-client-ca", f->tls_client_ca,
                 "PEM CA: require client certificates it signed");
  app.add_option("--backup-dir", f->backup_dir,
                 "folder where POST /v1/sys/backups writes backups (must exist)");
  app.add_option("--log-format", f->log_format,
                 "log lines: text (default) or json (one JSON object per line)");
  app.set_version_flag("--version", kVersion);
  app.add_flag("--dev", f->dev, "development mode: self-initialise and unseal from a key file");
  app.add_option("--pkcs11-module", f->pkcs11_module,
                 "PKCS#11 library (.so) of the token that holds the root key");
  app.add_option("--pkcs11-token", f->pkcs11_token, "label of that token");
  app.add_option("--pkcs11-pin-file", f->pkcs11_pin_file,
                 "file holding the token's user PIN (one line; keep it 0600)");
  app.add_option("--region", f->region,
                 "serve only the tenants whose residency is this region (others: 403)");
  app.add_option("--processor-ca-file", f->processor_ca_file,
                 "PEM CAs that sign processors' certificates (default: the system's CAs)");
}

// Residency: the region named by --region (or the config file's `region`)
// into `region`. False (and a message on stderr) for a malformed name.
bool ResolveRegion(const Flags& flags, const vault::api::v1::ServerConfig& config,
                   std::string* region) {
  *region = flags.region.empty() ? config.region() : flags.region;
  if (region->size() > 64) {
    std::fprintf(stderr, "vaultd: --region must be at most 64 characters\n");
    return false;
  }
  for (char c : *region) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.')) {
      std::fprintf(stderr, "vaultd: --region must be of letters, digits, '-', '_' and '.'\n");
      return false;
    }
  }
  if (!region->empty()) spdlog::info("residency: this node serves region {} only", *region);
  return true;
}

// Erasure notices to processors: the HTTPS sender (trusting the system's CAs
// or only --processor-ca-file), the notice body and the delivery worker.
// False (and a message on stderr) when the CA file cannot be loaded.
bool SetUpProcessorNotices(const Flags& flags, const vault::api::v1::ServerConfig& config,
                           vault::VaultOptions* options) {
  vault::api::NoticeSenderOptions sender_options;
  sender_options.ca_file =
      flags.processor_ca_file.empty() ? config.processor_ca_file() : flags.processor_ca_file;
  absl::StatusOr<std::unique_ptr<vault::api::HttpsNoticeSender>> sender =
      vault::api::HttpsNoticeSender::New(sender_options);
  if (!sender.ok()) {
    std::fprintf(stderr, "vaultd: --processor-ca-file %s: %s\n", sender_options.ca_file.c_str(),
                 std::string(sender.status().message()).c_str());
    return false;
  }
  options->notice_sender = std::move(*sender);
  options->notice_body = &vault::api::ErasureNoticeBody;
  options->notice_worker = true;
  return true;
}

// The PKCS#11 token named by the flags (or the config file), or null when
// none is configured. A message on stderr and exit code 2 on a bad setup.
bool OpenToken(const Flags& flags, const vault::api::v1::ServerConfig& config,
               std::unique_ptr<vault::crypto::Pkcs11Token>* token) {
  vault::crypto::Pkcs11Options options;
  options.module_path = flags.pkcs11_module.empty() ? config.pkcs11_module() : flags.pkcs11_module;
  options.token_label = flags.pkcs11_token.empty() ? config.pkcs11_token() : flags.pkcs11_token;
  const std::string pin_file =
      flags.pkcs11_pin_file.empty() ? config.pkcs11_pin_file() : flags.pkcs11_pin_file;
  if (options.module_path.empty() && options.token_label.empty() && pin_file.empty()) return true;
  if (flags.dev) {
    std::fprintf(stderr, "vaultd: --dev and a PKCS#11 token exclude each other\n");
    return false;
  }
  if (options.module_path.empty() || options.token_label.empty() || pin_file.empty()) {
    std::fprintf(stderr,
                 "vaultd: --pkcs11-module, --pkcs11-token and --pkcs11-pin-file go together\n");
    return false;
  }
  std::ifstream in(pin_file);
  std::string pin;
  std::getline(in, pin);
  if (!in && !in.eof()) pin.clear();
  if (pin.empty()) {
    std::fprintf(stderr, "vaultd: cannot read a PIN from %s\n", pin_file.c_str());
    return false;
  }
  absl::StatusOr<vault::crypto::SecretBytes> secret = vault::crypto::SecretBytes::CopyFrom(pin);
  vault::crypto::SecureWipe(pin);
  if (!secret.ok()) return false;
  absl::StatusOr<std::unique_ptr<vault::crypto::Pkcs11Token>> opened =
      vault::crypto::Pkcs11Token::Open(options, std::move(*secret));
  if (!opened.ok()) {
    std::fprintf(stderr, "vaultd: %s\n", std::string(opened.status().message()).c_str());
    return false;
  }
  *token = std::move(*opened);
  return true;
}

// False (and a message on stderr) when the file cannot be read or parsed.
bool LoadConfig(const std::string& config_file, vault::api::v1::ServerConfig* config) {
  if (config_file.empty()) return true;
  std::ifstream in(config_file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in || !google::protobuf::TextFormat::ParseFromString(text, config)) {
    std::fprintf(stderr, "vaultd: cannot parse config file %s\n", config_file.c_str());
    return false;
  }
  return true;
}

// The server limits and timeouts set in the config file (0 = keep the default).
void ApplyServerLimits(const vault::api::v1::ServerConfig& config,
                       vault::api::ServerOptions* server_options) {
  if (config.body_limit_bytes() != 0) server_options->body_limit = config.body_limit_bytes();
  if (config.header_limit_bytes() != 0) server_options->header_limit = config.header_limit_bytes();
  if (config.handler_threads() != 0) {
    server_options->handler_threads = static_cast<int>(config.handler_threads());
  }
  if (config.io_threads() != 0) server_options->io_threads = static_cast<int>(config.io_threads());
  if (config.read_timeout_ms() != 0) {
    server_options->read_timeout = std::chrono::milliseconds(config.read_timeout_ms());
  }
  if (config.idle_timeout_ms() != 0) {
    server_options->idle_timeout = std::chrono::milliseconds(config.idle_timeout_ms());
  }
  if (config.max_connections() != 0) server_options->max_connections = config.max_connections();
  if (config.linger_timeout_ms() != 0) {
    server_options->linger_timeout = std::chrono::milliseconds(config.linger_timeout_ms());
  }
  if (config.linger_max_bytes() != 0) server_options->linger_max_bytes = config.linger_max_bytes();
  if (config.max_lingering_connections() != 0) {
    server_options->max_lingering = config.max_lingering_connections();
  }
  if (config.max_in_flight() != 0) {
    server_options->max_in_flight = static_cast<int>(config.max_in_flight());
  }
}

// False (and a message on stderr) when --backup-dir is set but not a folder;
// else makes it absolute.
bool ResolveBackupDir(std::string* backup_dir) {
  if (backup_dir->empty()) return true;
  std::error_code ec;
  if (!std::filesystem::is_directory(*backup_dir, ec)) {
    std::fprintf(stderr, "vaultd: --backup-dir %s is not a folder\n", backup_dir->c_str());
    return false;
  }
  *backup_dir = std::filesystem::absolute(*backup_dir, ec).lexically_normal().string();
  return true;
}

void WarnOnStartupProblems(vault::Vault& v) {
  // The audit chain against its anchor in the keyring file: a store rolled
  // back (or an audit table wiped) keeps serving health, unseal and audit
  // verify, but every audited call fails closed until it is restored.
  absl::StatusOr<std::string> anchor_problem = v.system().AuditAnchorProblem();
  if (!anchor_problem.ok() || !anchor_problem->empty()) {
    spdlog::error(
        "*** AUDIT CHAIN CHECK FAILED AT START-UP: {}. Audited calls (every data read "
        "and write, every admin change) will answer 503 until the data folder is "
        "restored from a backup; GET /v1/sys/audit/verify shows the state. ***",
        anchor_problem.ok() ? *anchor_problem : std::string(anchor_problem.status().message()));
  }
  if (vault::crypto::GetLockedMemoryReport().lock_failures > 0) {
    spdlog::warn("some key memory could not be locked (raise RLIMIT_MEMLOCK)");
  }
}

// Due erasures run inside vaultd, once a second while unsealed; they are
// persisted, so a restart picks up whatever came due meanwhile.
void RunScheduler(vault::Vault& v, const std::atomic<bool>& stopping,
                  vault::api::Metrics* metrics) {
  bool writable = v.system().Status().storage.writable;
  std::string token_error;
  while (!stopping.load()) {
    // A full disk: retry the storage (rate-limited by the store) until
    // space is freed, and restore the reserve file when space allows.
    const vault::MaintenanceReport report = v.system().RunMaintenance();
    // Alerts tell a stopped scheduler (due erasures and jobs wait) by this.
    metrics->SetGauge("scheduler_last_run_timestamp_seconds",
                      static_cast<double>(absl::ToUnixMillis(absl::Now())) / 1000);
    metrics->Add("erasures_executed", static_cast<uint64_t>(report.erasures_executed));
    if (report.storage.writable != writable) {
      writable = report.storage.writable;
      if (writable) {
        spdlog::info("storage writable again");
      } else {
        spdlog::error("storage failed ({}): writes are refused until it recovers",
                      report.storage.error);
      }
    }
    if (report.erasures_executed > 0) {
      spdlog::info("executed {} due erasure(s)", report.erasures_executed);
    }
    // Rewrap jobs interrupted by a restart or a seal continue.
    if (report.jobs_resumed > 0) spdlog::info("resumed {} rewrap job(s)", report.jobs_resumed);
    if (report.epochs_started > 0) {
      spdlog::info("started {} scheduled shred epoch(s)", report.epochs_started);
    }
    if (report.compaction_failed) spdlog::warn("compaction after erasure failed; will retry");
    if (report.backup_keys_destroyed > 0) {
      spdlog::info("destroyed {} expired backup key(s)", report.backup_keys_destroyed);
    }
    if (report.token_error != token_error) {
      token_error = report.token_error;
      if (token_error.empty()) {
        spdlog::info("PKCS#11 token reachable again: unsealed");
      } else {
        spdlog::error("PKCS#11 token check failed ({}): sealed until it is back", token_error);
      }
    }
    for (int i = 0; i < 10 && !stopping.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

// RocksDB in the data folder or PostgreSQL (--postgres), and the node's
// name: 0, or vaultd's exit status (2 bad flag, 1 the store cannot open).
int OpenNodeStorage(const Flags& flags, const vault::api::v1::ServerConfig& config,
                    vault::VaultOptions* options, vault::api::HandlerOptions* handler_options) {
  handler_options->version = kVersion;
  if (!vault::api::ApplyStorageConfig(flags.storage, config, &options->rocks)) return 2;
  if (absl::Status s = ResolveNodeStorage(flags.node, config, options, handler_options); !s.ok()) {
    std::fprintf(stderr, "vaultd: %s\n", std::string(s.message()).c_str());
    return absl::IsInvalidArgument(s) ? 2 : 1;
  }
  if (flags.data_dir.empty() && handler_options->storage != "postgres") {
    std::fprintf(stderr, "vaultd: --data-dir is required (unless --postgres is given)\n");
    return 2;
  }
  if (flags.data_dir.empty() && flags.dev) {
    std::fprintf(stderr, "vaultd: --dev needs --data-dir (its unseal key is kept there)\n");
    return 2;
  }
  return 0;
}

// Serves until SIGINT/SIGTERM (blocked in `stop_signals`), then drains.
int Serve(vault::Vault& v, vault::api::ServerOptions server_options,
          const vault::api::HandlerOptions& handler_options,
          std::chrono::milliseconds shutdown_deadline, const sigset_t& stop_signals) {
  vault::api::Metrics metrics;
  server_options.metrics = &metrics;
  vault::api::RequestHandler handler(&v, &metrics, handler_options);
  absl::StatusOr<std::unique_ptr<vault::api::Server>> server =
      vault::api::Server::Start(server_options, &handler);
  if (!server.ok()) {
    std::fprintf(stderr, "vaultd: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::printf("listening on %s:%u\n", server_options.host.c_str(),
              static_cast<unsigned>((*server)->port()));
  std::fflush(stdout);
  spdlog::info("vaultd {} {}; initialized={} sealed={}", kVersion,
               server_options.tls_cert_file.empty() ? "http" : "https",
               v.system().Status().initialized, v.system().Status().sealed);

  std::atomic<bool> stopping{false};
  std::thread scheduler([&v, &stopping, &metrics] { RunScheduler(v, stopping, &metrics); });

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("signal {} received: draining", sig);
  stopping = true;
  scheduler.join();
  (*server)->Shutdown(shutdown_deadline);
  server->reset();
  // Running rewrap jobs stop after their current chunk and resume at the
  // next start.
  if (absl::Status s = v.system().Shutdown(); !s.ok()) {
    spdlog::warn("shutdown: compaction or flush failed: {}", std::string(s.message()));
  }
  spdlog::info("stopped");
  spdlog::shutdown();
  return 0;
}

void BlockStopSignals(sigset_t* stop_signals) {
  sigemptyset(stop_signals);
  sigaddset(stop_signals, SIGINT);
  sigaddset(stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, stop_signals, nullptr);
}

// Loads the config file and switches to the log format it or the flag
// names. False (and a message on stderr) on a bad file or format.
bool Configure(const Flags& flags, vault::api::v1::ServerConfig* config) {
  if (!LoadConfig(flags.config_file, config)) return false;
  vault::api::LogFormat log_format = vault::api::LogFormat::kText;
  const std::string& name = flags.log_format.empty() ? config->log_format() : flags.log_format;
  if (!vault::api::ParseLogFormat(name, &log_format)) {
    std::fprintf(stderr, "vaultd: --log-format must be text or json\n");
    return false;
  }
  vault::api::SetLogFormat(log_format);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vaultd: personal-data vault server"};
  Flags flags;
  AddFlags(app, &flags);
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before any thread starts (the logger's included),
  // so only sigwait in Serve receives them.
  sigset_t stop_signals;
  BlockStopSignals(&stop_signals);
  // The access log is written by a background thread, off the request path.
  vault::api::InitLogging(vault::api::LogFormat::kText);

  vault::api::v1::ServerConfig config;
  if (!Configure(flags, &config)) return 2;
  DisableCoreDumps();
  ReportMlockLimit();
  vault::api::ServerOptions server_options;
  std::string listen = flags.listen;
  if (listen.empty()) listen = config.listen().empty() ? "127.0.0.1:8200" : config.listen();
  if (!SplitHostPort(listen, &server_options.host, &server_options.port)) {
    std::fprintf(stderr, "vaultd: --listen must be HOST:PORT\n");
    return 2;
  }
  ApplyServerLimits(config, &server_options);
  server_options.tls_cert_file = flags.tls_cert.empty() ? config.tls_cert() : flags.tls_cert;
  server_options.tls_key_file = flags.tls_key.empty() ? config.tls_key() : flags.tls_key;
  server_options.tls_client_ca_file =
      flags.tls_client_ca.empty() ? config.tls_client_ca() : flags.tls_client_ca;
  if (server_options.tls_cert_file.empty() && !server_options.tls_client_ca_file.empty()) {
    std::fprintf(stderr, "vaultd: --tls-client-ca needs --tls-cert and --tls-key\n");
    return 2;
  }
  const auto shutdown_deadline = std::chrono::milliseconds(
      config.shutdown_deadline_ms() != 0 ? config.shutdown_deadline_ms() : 10000);

  vault::VaultOptions options;
  options.data_dir = flags.data_dir;
  options.clock = &vault::SystemClock::Instance();
  options.random = &vault::crypto::SystemRandom::Instance();
  if (config.rewrap_chunk_size() != 0) options.rewrap_chunk_size = config.rewrap_chunk_size();
  options.rewrap_chunk_pause = absl::Milliseconds(config.rewrap_chunk_pause_ms());
  if (config.shred_epoch_interval_seconds() != 0) {
    options.shred_epoch_interval = absl::Seconds(config.shred_epoch_interval_seconds());
  }
  std::string backup_dir = flags.backup_dir.empty() ? config.backup_dir() : flags.backup_dir;
  if (!ResolveBackupDir(&backup_dir)) return 2;
  if (!OpenToken(flags, config, &options.token)) return 2;
  if (!ResolveRegion(flags, config, &options.region)) return 2;
  if (!SetUpProcessorNotices(flags, config, &options)) return 2;
  vault::api::HandlerOptions handler_options;
  handler_options.backup_dir = backup_dir;
  if (const int status = OpenNodeStorage(flags, config, &options, &handler_options); status != 0) {
    return status;
  }
  absl::StatusOr<std::unique_ptr<vault::Vault>> opened = vault::Vault::Open(std::move(options));
  if (!opened.ok()) {
    std::fprintf(stderr, "vaultd: cannot open the vault: %s\n",
                 std::string(opened.status().message()).c_str());
    return 1;
  }
  vault::Vault& v = **opened;
  if (flags.dev) {
    spdlog::warn(
        "*** DEVELOPMENT MODE: the unseal key ({}) and the root API key ({}) are kept "
        "next to the data. Never use --dev for real personal data. ***",
        v.DevKeyFilePath(), v.DevRootApiKeyPath());
    if (absl::Status s = v.InitializeAndUnsealDev(); !s.ok()) {
      std::fprintf(stderr, "vaultd: dev unseal failed: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  // A PKCS#11 root unseals itself while its token is present; if it is not,
  // the scheduler keeps trying.
  if (absl::Status s = v.UnsealFromToken(); !s.ok()) {
    spdlog::error("PKCS#11 unseal failed: {}", std::string(s.message()));
  }
  WarnOnStartupProblems(v);
  return Serve(v, server_options, handler_options, shutdown_deadline, stop_signals);
}
