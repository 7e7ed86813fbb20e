// Shamir sharing over libgfshare (which has no extern "C" guard of its own).
#include "crypto/shamir.h"

#include <sodium.h>

extern "C" {
#include <libgfshare.h>
}

#include <memory>
#include <mutex>

#include "crypto/encoding.h"
#include "crypto/hashing.h"
#include "crypto/sodium_init.h"

namespace vault::crypto {
namespace {

constexpr std::string_view kPrefix = "vs1-";
constexpr size_t kChecksum = 4;

void FillFromSodium(unsigned char* buf, unsigned int n) { randombytes_buf(buf, n); }

void PointAtCsprng() {
  static std::once_flag once;
  std::call_once(once, [] { gfshare_fill_rand = &FillFromSodium; });
}

struct CtxFree {
  void operator()(gfshare_ctx* ctx) const { gfshare_ctx_free(ctx); }
};

std::string Checksum(std::string_view body) {
  absl::StatusOr<std::string> sum = Blake2b(body, 16);
  return sum.ok() ? sum->substr(0, kChecksum) : std::string(kChecksum, '\0');
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitSecret(const SecretBytes& secret, int shares,
                                                     int threshold) {
  if (absl::Status s = EnsureSodiumInitialized(); !s.ok()) return s;
  if (threshold < 2 || shares < threshold || shares > 255) {
    return absl::InvalidArgumentError("need 2 <= threshold <= shares <= 255");
  }
  if (secret.empty()) return absl::InvalidArgumentError("secret is empty");
  PointAtCsprng();
  std::vector<unsigned char> xs(static_cast<size_t>(shares));
  for (int i = 0; i < shares; ++i) xs[static_cast<size_t>(i)] = static_cast<unsigned char>(i + 1);
  std::unique_ptr<gfshare_ctx, CtxFree> ctx(gfshare_ctx_init_enc(
      xs.data(), static_cast<unsigned int>(shares), static_cast<unsigned char>(threshold),
      static_cast<unsigned int>(secret.size())));
  if (ctx == nullptr) return absl::InternalError("cannot create a sharing context");
  absl::StatusOr<SecretBytes> copy = secret.Clone();  // the library wants a mutable pointer
  if (!copy.ok()) return copy.status();
  gfshare_ctx_enc_setsecret(ctx.get(), copy->MutableSpan().data());
  std::vector<std::string> out;
  absl::StatusOr<SecretBytes> y = SecretBytes::Allocate(secret.size());
  if (!y.ok()) return y.status();
  for (int i = 0; i < shares; ++i) {
    gfshare_ctx_enc_getshare(ctx.get(), static_cast<unsigned char>(i), y->MutableSpan().data());
    std::string body(1, static_cast<char>(xs[static_cast<size_t>(i)]));
    absl::Span<const uint8_t> raw = RevealSecret(*y);
    body.append(reinterpret_cast<const char*>(raw.data()), raw.size());
    body += Checksum(body);
    out.push_back(std::string(kPrefix) + Base64UrlEncode(body));
    SecureWipe(body);
  }
  return out;
}

absl::StatusOr<DecodedShare> DecodeShare(std::string_view text) {
  if (text.substr(0, kPrefix.size()) != kPrefix) {
    return absl::InvalidArgumentError("not an unseal share");
  }
  absl::StatusOr<std::string> body = Base64UrlDecode(text.substr(kPrefix.size()));
  if (!body.ok() || body->size() < 2 + kChecksum) {
    return absl::InvalidArgumentError("not an unseal share");
  }
  const std::string_view payload = std::string_view(*body).substr(0, body->size() - kChecksum);
  if (!ConstantTimeEquals(Checksum(payload), std::string_view(*body).substr(payload.size()))) {
    SecureWipe(*body);
    return absl::InvalidArgumentError("unseal share checksum does not match (mistyped?)");
  }
  DecodedShare share;
  share.x = static_cast<uint8_t>(payload[0]);
  absl::StatusOr<SecretBytes> y = SecretBytes::CopyFrom(payload.substr(1));
  SecureWipe(*body);
  if (!y.ok()) return y.status();
  if (share.x == 0) return absl::InvalidArgumentError("not an unseal share");
  share.y = std::move(*y);
  return share;
}

absl::StatusOr<SecretBytes> CombineShares(const std::vector<DecodedShare>& shares) {
  if (shares.size() < 2) return absl::InvalidArgumentError("need at least two shares");
  // gfshare_ctx_free wipes through gfshare_fill_rand: it must be set in a
  // process that never split a secret too (a restarted vaultd).
  if (absl::Status s = EnsureSodiumInitialized(); !s.ok()) return s;
  PointAtCsprng();
  const size_t size = shares[0].y.size();
  std::vector<unsigned char> xs;
  for (const DecodedShare& s : shares) {
    if (s.y.size() != size) return absl::InvalidArgumentError("shares differ in size");
    for (unsigned char x : xs) {
      if (x == s.x) return absl::InvalidArgumentError("the same share was given twice");
    }
    xs.push_back(s.x);
  }
  std::unique_ptr<gfshare_ctx, CtxFree> ctx(gfshare_ctx_init_dec(
      xs.data(), static_cast<unsigned int>(xs.size()), static_cast<unsigned int>(size)));
  if (ctx == nullptr) return absl::InternalError("cannot create a recombination context");
  absl::StatusOr<SecretBytes> buf = SecretBytes::Allocate(size);
  if (!buf.ok()) return buf.status();
  for (size_t i = 0; i < shares.size(); ++i) {
    // The library wants a mutable pointer; give it a locked copy.
    absl::StatusOr<SecretBytes> y = shares[i].y.Clone();
    if (!y.ok()) return y.status();
    gfshare_ctx_dec_giveshare(ctx.get(), static_cast<unsigned char>(i), y->MutableSpan().data());
  }
  gfshare_ctx_dec_extract(ctx.get(), buf->MutableSpan().data());
  return buf;
}

}  // namespace vault::crypto
