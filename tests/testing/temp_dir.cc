// Test helpers over std::filesystem.
#include "tests/testing/temp_dir.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace vault::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/vaultd-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  ::chmod(tmpl.c_str(), 0700);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) out.push_back(entry.path().string());
  }
  return out;
}

std::vector<std::string> FindInFiles(const std::string& dir,
                                     const std::vector<std::string>& needles) {
  std::vector<std::string> found;
  if (needles.empty()) return found;
  // Index every needle by its first `window` bytes, then slide a window of
  // that size over each file: one hash lookup per byte, whatever the count.
  size_t window = needles.front().size();
  for (const std::string& n : needles) window = std::min(window, n.size());
  if (window == 0) throw std::invalid_argument("empty needle");
  std::unordered_multimap<std::string_view, const std::string*> by_prefix;
  for (const std::string& n : needles) by_prefix.emplace(std::string_view(n).substr(0, window), &n);
  for (const std::string& file : ListFiles(dir)) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::unordered_set<const std::string*> reported;
    for (size_t i = 0; i + window <= bytes.size(); ++i) {
      auto [begin, end] = by_prefix.equal_range(std::string_view(bytes).substr(i, window));
      for (auto it = begin; it != end; ++it) {
        const std::string& n = *it->second;
        if (bytes.compare(i, n.size(), n) == 0 && reported.insert(&n).second) {
          found.push_back(n + " @ " + file);
        }
      }
    }
  }
  return found;
}

void CopyTree(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

}  // namespace vault::testing
