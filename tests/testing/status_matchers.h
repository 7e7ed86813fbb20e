// gMock matchers for absl::Status and absl::StatusOr<T>:
//   EXPECT_THAT(s, IsOk());
//   EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound));
//   EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
//   EXPECT_THAT(result, IsOkAndHolds(Eq(3)));
// Each accepts a Status or a StatusOr, and prints the status on a mismatch.
// Thread-safety: stateless.
#ifndef VAULT_TESTS_TESTING_STATUS_MATCHERS_H_
#define VAULT_TESTS_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace vault::testing {
namespace internal {

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace internal

MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& s = internal::StatusOf(arg);
  if (!s.ok()) *result_listener << "which is " << s;
  return s.ok();
}

MATCHER_P(StatusIs, code,
          std::string(negation ? "has a code other than " : "has code ") +
              absl::StatusCodeToString(code)) {
  const absl::Status& s = internal::StatusOf(arg);
  if (s.code() != code) *result_listener << "which is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           std::string(negation ? "does not have code " : "has code ") +
               absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher, negation)) {
  const absl::Status& s = internal::StatusOf(arg);
  if (s.code() != code) {
    *result_listener << "which is " << s;
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, std::string(s.message()), result_listener);
}

MATCHER_P(IsOkAndHolds, value_matcher,
          negation ? "is not OK or holds another value" : "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "which is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace vault::testing

#endif  // VAULT_TESTS_TESTING_STATUS_MATCHERS_H_
