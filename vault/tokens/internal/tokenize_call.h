// TokenizeCall: the state and steps of one TokenService::Tokenize call
// (validate the items, get or create the data keys, plan deterministic
// tokens, mint each token, stage its record, commit). Private to
// vault_tokens.
// Thread-safety: one object per call, used by one thread; it shares the
// service's reservations and token stripes, which are thread-safe.
#ifndef VAULT_TOKENS_INTERNAL_TOKENIZE_CALL_H_
#define VAULT_TOKENS_INTERNAL_TOKENIZE_CALL_H_

#ifndef VAULT_INTERNAL_TOKENS
#error "vault/tokens/internal/ is private to vault_tokens; include vault/tokens/token_service.h"
#endif

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vault/tokens/token_codec.h"
#include "vault/tokens/token_service.h"
#include "vault/tokens/token_table.h"

namespace vault::tokens_internal {

// "items[i]: <message>" with the status's code.
absl::Status ItemError(size_t i, const absl::Status& s);

// A validated, normalised item.
struct PreparedItem {
  DataType type = DataType::kGeneric;
  TokenFormat format = TokenFormat::kRandom;
  std::string normalized;
  int64_t expires_at_ms = 0;  // 0 = never
};

// A token and its storage fingerprint.
struct MintedToken {
  std::string token;
  std::string fingerprint;
};

// The longer of two lives, 0 meaning "never expires".
int64_t LongerLife(int64_t a, int64_t b);

class TokenizeCall {
 public:
  TokenizeCall(const TokenServiceOptions& options, TokenReservations& reservations,
               SubjectLocks& token_locks, std::string_view tenant);
  ~TokenizeCall();
  TokenizeCall(const TokenizeCall&) = delete;
  TokenizeCall& operator=(const TokenizeCall&) = delete;

  // The whole call, for a tenant already checked; see TokenService::Tokenize.
  absl::StatusOr<std::vector<TokenizeResult>> Run(const std::vector<TokenizeItem>& items,
                                                  const std::vector<AuditEvent>* audit);

 private:
  // Every item validated and normalised, or the first item's error.
  absl::Status Prepare(const std::vector<TokenizeItem>& items);
  // The data key of every subject in the batch; creates (under the
  // subject's lock, held until the call ends) those that do not exist.
  absl::Status LoadDataKeys();
  // The deterministic tokens of the batch, computed up front so their
  // stripes are locked in one go, and the life each will get.
  absl::Status PlanDeterministic(const std::vector<TokenizeItem>& items);
  // The token of item i (drawn, derived or planned) and its fingerprint.
  absl::StatusOr<MintedToken> Mint(size_t i);
  // The life of a deterministic token's shared record: the longest any
  // caller asked for, an existing live record's included. ABORTED when the
  // token was revoked since it was planned.
  absl::StatusOr<int64_t> DeterministicLife(size_t i, const std::string& fingerprint);
  // Item i's record, sealed and staged.
  absl::Status Stage(size_t i, const std::string& subject, const std::string& fingerprint,
                     int64_t expires_at);

  // The deterministic token that currently stands for an input: the first
  // generation that was not revoked.
  absl::StatusOr<MintedToken> CurrentDeterministicToken(DataType type, std::string_view normalized,
                                                        std::string_view subject);
  // An unused format-preserving token for the value, reserved until the
  // call ends. RESOURCE_EXHAUSTED when the value's bucket is full (phones,
  // see PhoneTokenBucketOf) or no free token was drawn.
  absl::StatusOr<MintedToken> DrawFormatPreserving(DataType type, std::string_view normalized);
  // The fingerprint of `candidate` if no token in storage or in flight uses
  // it (now reserved); "" when taken.
  absl::StatusOr<std::string> Take(const std::string& candidate);

  const TokenServiceOptions& options_;
  TokenReservations& reservations_;
  SubjectLocks& token_locks_;
  const std::string tenant_;
  TokenTable table_;
  absl::Time now_;
  KeyCache::Key token_key_;
  storage::WriteBatch batch_;

  std::vector<PreparedItem> prepared_;
  std::set<std::string> subjects_;  // "" stands for the tenant-level key
  std::map<std::string, DataKeyHandle, std::less<>> deks_;
  std::vector<std::unique_lock<std::mutex>> subject_locks_;
  // Format-preserving tokens drawn by this call: reserved until the call
  // (and so its commit) is over; released by the destructor.
  std::vector<std::string> reserved_;
  std::vector<std::string> deterministic_;  // per item; "" unless deterministic
  // Per deterministic token of the batch, the longest life any of its items
  // asks for (0 = never expires): a repeated value never shortens it.
  std::map<std::string, int64_t> batch_expiry_;
  std::vector<std::unique_lock<std::mutex>> token_stripes_;
};

}  // namespace vault::tokens_internal

#endif  // VAULT_TOKENS_INTERNAL_TOKENIZE_CALL_H_
