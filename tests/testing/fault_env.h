// FaultInjectingEnv: the real file system with chosen faults, for tests of
// the files the vault writes outside RocksDB (keyring slots, key files,
// backups): writes cut short, a write that fails part-way (a torn file), a
// failed fsync. Everything else is forwarded (base::EnvWrapper).
// Thread-safety: one test thread.
#ifndef VAULT_TESTS_TESTING_FAULT_ENV_H_
#define VAULT_TESTS_TESTING_FAULT_ENV_H_

#include <memory>
#include <string>

#include "base/env.h"

namespace vault::testing {

class FaultInjectingEnv : public base::EnvWrapper {
 public:
  FaultInjectingEnv() : base::EnvWrapper(&base::Env::Posix()) {}
  // Every WriteAt writes at most `n` bytes (0 = no limit): legal short writes.
  void ShortWrites(size_t n) { short_writes_ = n; }
  // After `n` more bytes are written, every write fails (a torn file).
  void FailWritesAfter(size_t n) { write_budget_ = static_cast<int64_t>(n); }
  // The `n`-th Sync from now (1 = the next one) fails; 0 = none.
  void FailSync(int n) { fail_sync_in_ = n; }
  int syncs() const { return syncs_; }

  absl::StatusOr<std::unique_ptr<base::RandomWriteFile>> OpenForOverwrite(
      const std::string& path) override {
    absl::StatusOr<std::unique_ptr<base::RandomWriteFile>> real = target()->OpenForOverwrite(path);
    if (!real.ok()) return real.status();
    return std::unique_ptr<base::RandomWriteFile>(new File(this, std::move(*real)));
  }

 private:
  class File : public base::RandomWriteFile {
   public:
    File(FaultInjectingEnv* env, std::unique_ptr<base::RandomWriteFile> real)
        : env_(env), real_(std::move(real)) {}
    uint64_t size_at_open() const override { return real_->size_at_open(); }
    absl::StatusOr<size_t> WriteAt(uint64_t offset, std::string_view data) override {
      if (env_->short_writes_ != 0 && data.size() > env_->short_writes_) {
        data = data.substr(0, env_->short_writes_);
      }
      if (env_->write_budget_ >= 0) {
        if (env_->write_budget_ == 0) return absl::UnavailableError("write: injected fault");
        if (static_cast<int64_t>(data.size()) > env_->write_budget_) {
          data = data.substr(0, static_cast<size_t>(env_->write_budget_));
        }
      }
      absl::StatusOr<size_t> n = real_->WriteAt(offset, data);
      if (n.ok() && env_->write_budget_ >= 0) env_->write_budget_ -= static_cast<int64_t>(*n);
      return n;
    }
    absl::Status Sync() override {
      ++env_->syncs_;
      if (env_->fail_sync_in_ > 0 && --env_->fail_sync_in_ == 0) {
        return absl::UnavailableError("fsync: injected fault");
      }
      return real_->Sync();
    }

   private:
    FaultInjectingEnv* env_;
    std::unique_ptr<base::RandomWriteFile> real_;
  };

  size_t short_writes_ = 0;
  int64_t write_budget_ = -1;  // < 0: unlimited
  int fail_sync_in_ = 0;
  int syncs_ = 0;
};

}  // namespace vault::testing

#endif  // VAULT_TESTS_TESTING_FAULT_ENV_H_
