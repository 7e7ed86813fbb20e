// vaultctl's offline checks: erasure receipts, an exported audit log, the
// shred-ledger file a restore replays. They need no server, only the vault's
// public signing key (GET /v1/sys/receipt-key, kept by the operator).
// Thread-safety: stateless functions.
#ifndef VAULT_OPS_OFFLINE_H_
#define VAULT_OPS_OFFLINE_H_

#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "vault/audit/audit_log.h"
#include "vault/model/records.pb.h"

namespace vault::ops {

// A public key given as standard base64 of its 32 bytes, or as the JSON
// answer of GET /v1/sys/receipt-key. INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::StatusOr<std::string> ParsePublicKey(std::string_view text);

// A receipt as JSON: the receipt object itself, or an answer holding one
// under "receipt" (erasure answers).
[[nodiscard]] absl::StatusOr<records::ErasureReceipt> ParseReceiptJson(std::string_view json);

// A shred-ledger file (the JSON of GET /v1/sys/shred-ledger): the done
// erasures' receipts and the signed live state, when present.
struct LedgerFile {
  std::vector<records::ErasureReceipt> receipts;
  std::optional<records::LiveState> state;
};
[[nodiscard]] absl::StatusOr<LedgerFile> ParseLedgerJson(std::string_view json);

struct AuditExportCheck {
  AuditVerification chain;       // ok, entries, head, problem, at_seq
  uint64_t last_checkpoint = 0;  // highest signed checkpoint the chain reaches
};

// Verifies an audit export (JSON lines of AuditExportLine, as written by
// `vaultctl audit export`): every checkpoint's signature under `public_key`,
// then the chain from seq 1. INVALID_ARGUMENT for a line that is not an
// export line; a broken chain is reported in the result, not as an error.
[[nodiscard]] absl::StatusOr<AuditExportCheck> VerifyAuditExport(std::istream& in,
                                                                 std::string_view public_key);

}  // namespace vault::ops

#endif  // VAULT_OPS_OFFLINE_H_
