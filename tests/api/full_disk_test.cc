// A full disk, end to end: the real vaultd with its data folder on a small
// tmpfs (mounted by the test; needs root, skipped otherwise). Tokenize until
// the disk is full: 503 UNAVAILABLE "storage full", the process stays up and
// health says why; free space: writes work again without a restart and every
// acknowledged token still detokenizes; fill again, restart on the full disk:
// vaultd opens (its reserve file given up), unseals and reports the state,
// and once space is freed again every acknowledged token still detokenizes.
#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/api.pb.h"
#include "ops/http_client.h"
#include "tests/api/vaultd_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_storage.h"

namespace vault::testing {
namespace {

using ops::HttpClient;
using ops::HttpResult;
using Clock = std::chrono::steady_clock;

template <class M>
M Parse(const std::string& json) {
  M m;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &m).ok()) << json;
  return m;
}

uint64_t FreeBytes(const std::string& dir) {
  struct statvfs v {};
  if (::statvfs(dir.c_str(), &v) != 0) return 0;
  return static_cast<uint64_t>(v.f_bavail) * v.f_frsize;
}

// Fills the file system holding `path` so that about `leave` bytes stay free.
bool Fill(const std::string& path, uint64_t leave) {
  const std::string dir = path.substr(0, path.find_last_of('/'));
  const uint64_t free = FreeBytes(dir);
  if (free <= leave) return true;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::posix_fallocate(fd, 0, static_cast<off_t>(free - leave)) == 0;
  ::close(fd);
  return ok;
}

class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS_ROCKSDB("fills the data folder's disk, which holds no records on PostgreSQL");
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
    mnt_ = dir_.Sub("mnt");
    // 64 MiB: RocksDB preallocates ~18 MiB for its WAL.
    const std::string cmd = "mkdir -p " + mnt_ + " && mount -t tmpfs -o size=64m tmpfs " + mnt_;
    if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "cannot mount tmpfs (no CAP_SYS_ADMIN?)";
    mounted_ = true;
    data_ = mnt_ + "/data";
  }
  void TearDown() override {
    server_.reset();  // SIGKILL if still running
    if (mounted_) (void)std::system(("umount " + mnt_).c_str());
  }

  void Start() {
    server_ =
        std::make_unique<VaultdProcess>(std::vector<std::string>{"--dev", "--data-dir", data_});
    ASSERT_GT(server_->port(), 0) << "vaultd did not start";
    client_ = std::make_unique<HttpClient>("127.0.0.1", server_->port());
    client_->set_timeout(std::chrono::seconds(30));
    root_key_ = ReadFirstLine(data_ + "/root-api-key");
  }

  HttpResult Call(const std::string& method, const std::string& target,
                  const std::string& body = "", const std::string& key = "") {
    std::map<std::string, std::string> headers;
    if (!key.empty()) headers["Authorization"] = "Bearer " + key;
    return client_->Request(method, target, body, headers);
  }

  api::v1::StorageHealth Storage() {
    HttpResult h = Call("GET", "/v1/sys/health");
    EXPECT_EQ(h.status, 200) << h.body;  // status semantics unchanged: unsealed
    return Parse<api::v1::HealthResponse>(h.body).storage_health();
  }

  void Provision() {
    ASSERT_EQ(Call("POST", "/v1/tenants", R"({"id": "acme"})", root_key_).status, 201);
    ASSERT_EQ(
        Call("PUT", "/v1/tenants/acme/roles/app",
             R"({"actions": ["tokenize", "detokenize"], "types": ["*"], "max_reveal": "plain"})",
             root_key_)
            .status,
        200);
    HttpResult p = Call("POST", "/v1/tenants/acme/principals",
                        R"({"name": "app", "roles": ["app"]})", root_key_);
    ASSERT_EQ(p.status, 201) << p.body;
    key_ = Parse<api::v1::PrincipalResponse>(p.body).api_key();
  }

  // One tokenize call of 40 e-mail addresses; acknowledged tokens are kept.
  HttpResult TokenizeBatch() {
    api::v1::TokenizeRequest req;
    std::vector<std::string> values;
    for (int i = 0; i < 40; ++i) {
      values.push_back("user" + std::to_string(next_++) + "@example.com");
      api::v1::TokenizeItem* item = req.add_items();
      item->set_type("email");
      item->set_value(values.back());
    }
    std::string body;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(req, &body).ok());
    HttpResult r = Call("POST", "/v1/tenants/acme/tokenize", body, key_);
    if (r.status == 200) {
      auto out = Parse<api::v1::TokenizeResponse>(r.body);
      EXPECT_EQ(out.items_size(), 40);
      for (int i = 0; i < out.items_size() && i < 40; ++i) acked_[out.items(i).token()] = values[i];
    }
    return r;
  }

  // Tokenizes until the first refusal (bounded); returns it.
  HttpResult TokenizeUntilRefused() {
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    for (int i = 0; i < 50000 && Clock::now() < deadline; ++i) {
      HttpResult r = TokenizeBatch();
      if (r.status != 200) return r;
    }
    ADD_FAILURE() << "the disk never filled";
    return {};
  }

  // Detokenizes every acknowledged token; returns how many came back with
  // their value (the caller compares with acked_.size()).
  size_t DetokenizeAll(HttpResult* refusal) {
    size_t good = 0;
    std::vector<std::string> tokens;
    for (const auto& [token, value] : acked_) tokens.push_back(token);
    for (size_t at = 0; at < tokens.size(); at += 500) {
      api::v1::DetokenizeRequest req;
      req.set_reveal("plain");
      for (size_t i = at; i < tokens.size() && i < at + 500; ++i) req.add_tokens(tokens[i]);
      std::string body;
      EXPECT_TRUE(google::protobuf::util::MessageToJsonString(req, &body).ok());
      HttpResult r = Call("POST", "/v1/tenants/acme/detokenize", body, key_);
      if (r.status != 200) {
        *refusal = r;
        return good;
      }
      const auto out = Parse<api::v1::DetokenizeResponse>(r.body);
      for (const auto& item : out.items()) {
        if (item.has_value() && acked_[item.token()] == item.value()) ++good;
      }
    }
    return good;
  }

  static void ExpectStorageFull(const HttpResult& r) {
    EXPECT_EQ(r.status, 503) << r.body;
    const auto parsed = Parse<api::v1::ErrorResponse>(r.body);
    const auto& e = parsed.error();
    EXPECT_EQ(e.code(), "UNAVAILABLE");
    EXPECT_NE(e.message().find("storage full"), std::string::npos) << e.message();
  }

  TempDir dir_;
  bool mounted_ = false;
  std::string mnt_, data_, root_key_, key_;
  std::unique_ptr<VaultdProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::map<std::string, std::string> acked_;  // token -> value
  int next_ = 0;
};

TEST_F(FullDiskTest, RefusesWhileFullRecoversWithoutRestartAndRestartsOnFullDisk) {
  Start();
  Provision();
  EXPECT_TRUE(Storage().ok());
  EXPECT_FALSE(Storage().reserve_released());  // the reserve file was made at start
  const std::string filler = mnt_ + "/filler";
  ASSERT_TRUE(Fill(filler, 3 << 20));

  // Full: a clear refusal, the process stays up, health and metrics say why.
  ExpectStorageFull(TokenizeUntilRefused());
  ASSERT_GT(acked_.size(), 0u);
  ExpectStorageFull(TokenizeBatch());
  api::v1::StorageHealth full = Storage();
  EXPECT_FALSE(full.ok());
  EXPECT_FALSE(full.writable());
  EXPECT_EQ(full.error(), "no_space");
  HttpResult metrics = Call("GET", "/metrics");
  EXPECT_NE(metrics.body.find("vaultd_storage_writable 0\n"), std::string::npos) << metrics.body;
  EXPECT_EQ(metrics.body.find("vaultd_storage_errors_total{kind=\"no_space\"} 0\n"),
            std::string::npos);
  // An audited read needs a durable audit entry: refused too, nothing revealed.
  HttpResult refusal;
  EXPECT_EQ(DetokenizeAll(&refusal), 0u);
  ExpectStorageFull(refusal);

  // Space freed: writable again without a restart (the scheduler resumes).
  ASSERT_EQ(::unlink(filler.c_str()), 0);
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!Storage().ok() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(Storage().ok());
  EXPECT_NE(Call("GET", "/metrics").body.find("vaultd_storage_writable 1\n"), std::string::npos);
  HttpResult again = TokenizeBatch();
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(DetokenizeAll(&refusal), acked_.size()) << refusal.body;  // 0 acknowledged lost

  // Full again, then a restart on the full disk.
  ASSERT_TRUE(Fill(filler, 1 << 20));
  ExpectStorageFull(TokenizeUntilRefused());
  EXPECT_EQ(server_->Stop(), 0);
  Start();  // opens: the reserve file is given up; dev mode unseals
  HttpResult health = Call("GET", "/v1/sys/health");
  ASSERT_EQ(health.status, 200) << health.body;
  auto h = Parse<api::v1::HealthResponse>(health.body);
  EXPECT_FALSE(h.sealed());
  EXPECT_EQ(h.storage(), "rocksdb");
  EXPECT_FALSE(h.storage_health().ok());
  EXPECT_TRUE(h.storage_health().reserve_released());
  EXPECT_EQ(h.storage_health().error(), h.storage_health().writable() ? "low_space" : "no_space");
  // Audited reads need a durable audit entry; on this disk that may fail
  // (the replayed memtables want flushing): all tokens come back, or a clear
  // refusal and nothing.
  const size_t read_on_full = DetokenizeAll(&refusal);
  if (read_on_full != acked_.size()) {
    EXPECT_EQ(read_on_full, 0u);
    ExpectStorageFull(refusal);
  }
  // Space freed once more: without a restart, every acknowledged token is
  // still there.
  ASSERT_EQ(::unlink(filler.c_str()), 0);
  const auto deadline2 = Clock::now() + std::chrono::seconds(30);
  while (!Storage().writable() && Clock::now() < deadline2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(Storage().writable());
  EXPECT_EQ(DetokenizeAll(&refusal), acked_.size()) << refusal.body;  // 0 acknowledged lost
  EXPECT_EQ(TokenizeBatch().status, 200);
  EXPECT_EQ(server_->Stop(), 0);
}

}  // namespace
}  // namespace vault::testing
