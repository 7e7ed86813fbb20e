// Tests for identifier rules and key / associated-data encodings.
#include "vault/model/record_keys.h"

#include <gtest/gtest.h>

namespace vault {
namespace {

TEST(RecordKeysTest, TenantIds) {
  EXPECT_TRUE(ValidateTenantId("acme").ok());
  EXPECT_TRUE(ValidateTenantId("a-b_c9").ok());
  EXPECT_TRUE(ValidateTenantId(std::string(64, 'a')).ok());
  for (std::string bad : {std::string(""), std::string(65, 'a'), std::string("Acme"),
                          std::string("a/b"), std::string("a b"), std::string("a\0b", 3)}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateTenantId(bad))) << bad;
  }
}

TEST(RecordKeysTest, SubjectIdsRefuseEmailShapes) {
  EXPECT_TRUE(ValidateSubjectId("u-123").ok());
  EXPECT_TRUE(ValidateSubjectId("User.42_x").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateSubjectId("zhang@example.com")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateSubjectId("")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateSubjectId(std::string(129, 'a'))));
}

TEST(RecordKeysTest, FieldNames) {
  EXPECT_TRUE(ValidateFieldName("salary_card").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateFieldName("Salary")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateFieldName("a-b")));
}

TEST(RecordKeysTest, SubjectPrefixDoesNotMatchLongerIds) {
  std::string prefix = SubjectPrefix("acme", "u-1");
  EXPECT_EQ(FieldKey("acme", "u-1", "name").rfind(prefix, 0), 0u);
  EXPECT_NE(FieldKey("acme", "u-10", "name").rfind(prefix, 0), 0u);
}

TEST(RecordKeysTest, AssociatedDataIsUnambiguous) {
  EXPECT_NE(AssociatedData("field", {"ab", "c"}), AssociatedData("field", {"a", "bc"}));
  EXPECT_NE(AssociatedData("field", {"a"}), AssociatedData("dek", {"a"}));
  EXPECT_EQ(AssociatedData("field", {"a", "b"}), AssociatedData("field", {"a", "b"}));
}

}  // namespace
}  // namespace vault
