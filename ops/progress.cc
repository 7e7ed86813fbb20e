// Progress implementation.
#include "ops/progress.h"

#include <algorithm>

namespace vault::ops {

std::string Progress::Bar(uint64_t done, uint64_t total, int width) {
  const int filled =
      total == 0 ? 0 : static_cast<int>(std::min<uint64_t>(done, total) * width / total);
  return "[" + std::string(filled, '#') + std::string(width - filled, ' ') + "]";
}

void Progress::Update(uint64_t done, uint64_t total, const std::string& state) {
  const int percent =
      total == 0 ? 0 : static_cast<int>(std::min<uint64_t>(done, total) * 100 / total);
  std::string line = label_ + " " + state + " " + std::to_string(done) + "/" +
                     std::to_string(total) + " (" + std::to_string(percent) + "%)";
  if (terminal_) {
    std::fprintf(out_, "\r%s %s", Bar(done, total, 30).c_str(), line.c_str());
    std::fflush(out_);
  } else if (line != last_) {
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
  }
  last_ = line;
}

void Progress::Finish(const std::string& state) {
  if (terminal_) std::fprintf(out_, "\n");
  std::fprintf(out_, "%s %s\n", label_.c_str(), state.c_str());
  std::fflush(out_);
}

}  // namespace vault::ops
