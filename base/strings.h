// Cat: string concatenation over std::string_view and numbers. Debian's
// Abseil is built with its own absl::string_view (not std::string_view), so
// absl::StrCat does not accept std::string_view; this does.
// Thread-safety: pure.
#ifndef VAULT_BASE_STRINGS_H_
#define VAULT_BASE_STRINGS_H_

#include <string>
#include <string_view>
#include <type_traits>

namespace vault {
namespace strings_internal {

template <typename T>
void AppendPiece(std::string& out, const T& piece) {
  if constexpr (std::is_same_v<T, char>) {
    out.push_back(piece);
  } else if constexpr (std::is_arithmetic_v<T>) {
    out += std::to_string(piece);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out.append(std::string_view(piece));
  } else {
    out.append(piece.data(), piece.size());  // e.g. absl::string_view
  }
}

}  // namespace strings_internal

template <typename... Pieces>
std::string Cat(const Pieces&... pieces) {
  std::string out;
  (strings_internal::AppendPiece(out, pieces), ...);
  return out;
}

}  // namespace vault

#endif  // VAULT_BASE_STRINGS_H_
