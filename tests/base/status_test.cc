// Tests for error kinds: one kind per status, markers honoured only on the
// code they were made with, and the wire names the API promises.
#include "base/status.h"
#include "base/status_macros.h"

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

absl::Status FailsWhen(bool fail, int* reached) {
  RETURN_IF_ERROR(fail ? GoneError("erased") : absl::OkStatus());
  ++*reached;
  return absl::OkStatus();
}

absl::StatusOr<int> Twice(absl::StatusOr<int> in, int* reached) {
  ASSIGN_OR_RETURN(const int value, std::move(in));
  ++*reached;
  return 2 * value;
}

TEST(StatusMacrosTest, ReturnIfErrorPassesTheStatusOnUnchanged) {
  int reached = 0;
  EXPECT_TRUE(FailsWhen(false, &reached).ok());
  EXPECT_EQ(reached, 1);
  absl::Status failed = FailsWhen(true, &reached);
  EXPECT_TRUE(IsGone(failed));  // the kind survives
  EXPECT_EQ(reached, 1);
}

TEST(StatusMacrosTest, AssignOrReturnUnwrapsOrReturns) {
  int reached = 0;
  absl::StatusOr<int> doubled = Twice(21, &reached);
  ASSERT_TRUE(doubled.ok());
  EXPECT_EQ(*doubled, 42);
  EXPECT_EQ(reached, 1);
  absl::StatusOr<int> failed = Twice(SealedError(), &reached);
  EXPECT_TRUE(IsSealed(failed.status()));
  EXPECT_EQ(reached, 1);
}

}  // namespace
}  // namespace vault
