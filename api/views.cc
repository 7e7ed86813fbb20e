// Record <-> API message conversions.
#include "api/views.h"

#include "crypto/encoding.h"

namespace vault::api {

v1::Receipt ReceiptView(const records::ErasureReceipt& r) {
  v1::Receipt out;
  out.set_erasure_id(r.erasure_id());
  out.set_tenant(r.tenant());
  out.set_subject(r.subject());
  out.set_requested_at(r.requested_at());
  out.set_shredded_at(r.shredded_at());
  out.set_destroyed_key_id(r.destroyed_key_id());
  out.set_signature(crypto::Base64Encode(r.signature()));
  out.set_public_key(crypto::Base64Encode(r.public_key()));
  out.set_residency(r.residency());
  if (!r.final_at().empty()) out.set_final_at(r.final_at());
  if (!r.backups_unreadable_by().empty()) out.set_backups_unreadable_by(r.backups_unreadable_by());
  if (!r.final_signature().empty()) {
    out.set_final_signature(crypto::Base64Encode(r.final_signature()));
  }
  return out;
}

absl::StatusOr<records::ErasureReceipt> ReceiptFromView(const v1::Receipt& view) {
  records::ErasureReceipt r;
  r.set_erasure_id(view.erasure_id());
  r.set_tenant(view.tenant());
  r.set_subject(view.subject());
  r.set_requested_at(view.requested_at());
  r.set_shredded_at(view.shredded_at());
  r.set_destroyed_key_id(view.destroyed_key_id());
  r.set_residency(view.residency());
  absl::StatusOr<std::string> signature = crypto::Base64Decode(view.signature());
  if (!signature.ok() || signature->size() != 64) {
    return absl::InvalidArgumentError("receipt signature is not 64 bytes of base64");
  }
  r.set_signature(*signature);
  absl::StatusOr<std::string> key = crypto::Base64Decode(view.public_key());
  if (!key.ok() || key->size() != 32) {
    return absl::InvalidArgumentError("receipt public_key is not 32 bytes of base64");
  }
  r.set_public_key(*key);
  if (view.has_final_at() || view.has_final_signature() || view.has_backups_unreadable_by()) {
    absl::StatusOr<std::string> final_signature = crypto::Base64Decode(view.final_signature());
    if (!final_signature.ok() || final_signature->size() != 64) {
      return absl::InvalidArgumentError("receipt final_signature is not 64 bytes of base64");
    }
    r.set_final_at(view.final_at());
    r.set_backups_unreadable_by(view.backups_unreadable_by());
    r.set_final_signature(*final_signature);
  }
  return r;
}

}  // namespace vault::api
