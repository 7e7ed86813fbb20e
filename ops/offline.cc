// Offline checks.
#include "ops/offline.h"

#include <google/protobuf/util/json_util.h>

#include "api/api.pb.h"
#include "api/views.h"
#include "base/strings.h"
#include "client/json.h"
#include "crypto/encoding.h"

namespace vault::ops {
namespace {

namespace pb = google::protobuf;

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

absl::StatusOr<std::string> ParsePublicKey(std::string_view text) {
  text = Trim(text);
  std::string b64(text);
  if (!text.empty() && text.front() == '{') {
    api::v1::ReceiptKeyResponse key;
    if (!client::ParseJson(text, &key).ok()) {
      return absl::InvalidArgumentError("public key JSON is not a receipt-key answer");
    }
    b64 = key.public_key();
  }
  absl::StatusOr<std::string> raw = crypto::Base64Decode(b64);
  if (!raw.ok() || raw->size() != 32) {
    return absl::InvalidArgumentError("public key must be 32 bytes in standard base64");
  }
  return *raw;
}

absl::StatusOr<records::ErasureReceipt> ParseReceiptJson(std::string_view json) {
  api::v1::Receipt receipt;
  if (!client::ParseJson(json, &receipt).ok()) {
    api::v1::ErasureResponse answer;
    pb::util::JsonParseOptions lenient;
    lenient.ignore_unknown_fields = true;
    if (!pb::util::JsonStringToMessage(std::string(json), &answer, lenient).ok() ||
        !answer.has_receipt()) {
      return absl::InvalidArgumentError("not a receipt (nor an answer holding one)");
    }
    receipt = answer.receipt();
  }
  return api::ReceiptFromView(receipt);
}

absl::StatusOr<LedgerFile> ParseLedgerJson(std::string_view json) {
  api::v1::ShredLedgerResponse ledger;
  if (!client::ParseJson(json, &ledger).ok()) {
    return absl::InvalidArgumentError("not a shred-ledger file (vaultctl ledger export)");
  }
  LedgerFile out;
  for (const api::v1::Receipt& view : ledger.receipts()) {
    absl::StatusOr<records::ErasureReceipt> r = api::ReceiptFromView(view);
    if (!r.ok()) return r.status();
    out.receipts.push_back(std::move(*r));
  }
  if (ledger.has_state()) out.state = ledger.state();
  return out;
}

absl::StatusOr<AuditExportCheck> VerifyAuditExport(std::istream& in, std::string_view public_key) {
  std::vector<records::AuditEntry> entries;
  std::vector<records::AuditCheckpoint> checkpoints;
  std::string line;
  uint64_t number = 0;
  pb::util::JsonParseOptions strict;
  while (std::getline(in, line)) {
    ++number;
    if (Trim(line).empty()) continue;
    records::AuditExportLine parsed;
    if (!pb::util::JsonStringToMessage(line, &parsed, strict).ok() ||
        (parsed.has_entry() == parsed.has_checkpoint())) {
      return absl::InvalidArgumentError(Cat("line ", number, " is not an audit export line"));
    }
    if (parsed.has_entry()) {
      entries.push_back(std::move(*parsed.mutable_entry()));
    } else {
      checkpoints.push_back(std::move(*parsed.mutable_checkpoint()));
    }
  }
  AuditChainVerifier chain{std::string(public_key)};
  for (const records::AuditCheckpoint& c : checkpoints) {
    if (!chain.AddCheckpoint(c)) break;
  }
  for (const records::AuditEntry& e : entries) {
    if (!chain.AddEntry(e)) break;
  }
  chain.Finish();
  AuditExportCheck out;
  out.chain = chain.result();
  out.last_checkpoint = chain.last_checkpoint();
  return out;
}

}  // namespace vault::ops
