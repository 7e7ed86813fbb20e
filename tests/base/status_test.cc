// Tests for error kinds: one kind per status, markers honoured only on the
// code they were made with, and the wire names the API promises.
#include "base/status.h"

#include <gtest/gtest.h>

namespace vault {
namespace {

TEST(ErrorKindTest, GoneAndExpiredAreNotMissing) {
  EXPECT_EQ(ErrorKindOf(GoneError("the subject was erased")), ErrorKind::kGone);
  EXPECT_EQ(ErrorKindOf(ExpiredError("token has expired")), ErrorKind::kExpired);
  EXPECT_EQ(ErrorKindOf(absl::NotFoundError("unknown token")), ErrorKind::kNotFound);
  EXPECT_FALSE(IsMissing(GoneError("x")));
  EXPECT_FALSE(IsMissing(ExpiredError("x")));
  EXPECT_TRUE(IsMissing(absl::NotFoundError("x")));
  // The carrier code stays NOT_FOUND for callers that only ask "is it there?".
  EXPECT_TRUE(absl::IsNotFound(GoneError("x")));
}

TEST(ErrorKindTest, SealedIsItsOwnKind) {
  EXPECT_EQ(ErrorKindOf(SealedError()), ErrorKind::kSealed);
  EXPECT_TRUE(IsSealed(SealedError()));
  EXPECT_EQ(ErrorKindOf(absl::UnavailableError("storage full")), ErrorKind::kUnavailable);
}

TEST(ErrorKindTest, AMarkerCountsOnlyOnItsOwnCode) {
  absl::Status forged = absl::InternalError("x");
  forged.SetPayload("type.vaultd.dev/vault.ErrorKind", absl::Cord("gone"));
  EXPECT_EQ(ErrorKindOf(forged), ErrorKind::kInternal);
  absl::Status sealed_on_not_found = absl::NotFoundError("x");
  sealed_on_not_found.SetPayload("type.vaultd.dev/vault.ErrorKind", absl::Cord("sealed"));
  EXPECT_EQ(ErrorKindOf(sealed_on_not_found), ErrorKind::kNotFound);
}

TEST(ErrorKindTest, CodesMapToKindsAndWireNames) {
  struct Case {
    absl::Status status;
    ErrorKind kind;
    std::string_view name;
  };
  const Case cases[] = {
      {absl::OkStatus(), ErrorKind::kOk, "OK"},
      {absl::InvalidArgumentError("x"), ErrorKind::kInvalidArgument, "INVALID_ARGUMENT"},
      {absl::OutOfRangeError("x"), ErrorKind::kInvalidArgument, "INVALID_ARGUMENT"},
      {absl::UnauthenticatedError("x"), ErrorKind::kUnauthenticated, "UNAUTHENTICATED"},
      {absl::PermissionDeniedError("x"), ErrorKind::kPermissionDenied, "PERMISSION_DENIED"},
      {absl::AlreadyExistsError("x"), ErrorKind::kAlreadyExists, "ALREADY_EXISTS"},
      {absl::AbortedError("x"), ErrorKind::kFailedPrecondition, "FAILED_PRECONDITION"},
      {absl::ResourceExhaustedError("x"), ErrorKind::kResourceExhausted, "RESOURCE_EXHAUSTED"},
      {absl::DataLossError("x"), ErrorKind::kDataLoss, "DATA_LOSS"},
      {absl::UnknownError("x"), ErrorKind::kInternal, "INTERNAL"},
      {GoneError("x"), ErrorKind::kGone, "GONE"},
      {SealedError(), ErrorKind::kSealed, "SEALED"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorKindOf(c.status), c.kind) << c.status;
    EXPECT_EQ(ErrorKindName(c.kind), c.name) << c.status;
  }
}

}  // namespace
}  // namespace vault
