// Conversions between stored records and API messages shared by vaultd's
// handler and vaultctl.
#ifndef VAULT_API_VIEWS_H_
#define VAULT_API_VIEWS_H_

#include "absl/status/statusor.h"
#include "api/api.pb.h"
#include "vault/model/records.pb.h"

namespace vault::api {

// Signature and public key become standard base64.
v1::Receipt ReceiptView(const records::ErasureReceipt& receipt);
// The reverse; INVALID_ARGUMENT when the base64 fields are malformed.
[[nodiscard]] absl::StatusOr<records::ErasureReceipt> ReceiptFromView(const v1::Receipt& view);

}  // namespace vault::api

#endif  // VAULT_API_VIEWS_H_
