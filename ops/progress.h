// Progress of a long job: a redrawn bar on a terminal, plain lines (one per
// change) otherwise, so logs and scripts get readable output.
// Thread-safety: one reporter per job, from one thread.
#ifndef VAULT_OPS_PROGRESS_H_
#define VAULT_OPS_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <string>

namespace vault::ops {

class Progress {
 public:
  // `terminal`: draw a bar with carriage returns; else print lines.
  Progress(std::FILE* out, std::string label, bool terminal)
      : out_(out), label_(std::move(label)), terminal_(terminal) {}
  void Update(uint64_t done, uint64_t total, const std::string& state);
  void Finish(const std::string& state);

  // The bar's text for `done` of `total` (width characters between brackets).
  static std::string Bar(uint64_t done, uint64_t total, int width);

 private:
  std::FILE* out_;
  std::string label_;
  bool terminal_;
  std::string last_;
};

}  // namespace vault::ops

#endif  // VAULT_OPS_PROGRESS_H_
