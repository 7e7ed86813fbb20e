// vaultctl processors put|get|list|delete against a real vaultd: a processor
// registered with vaultctl receives the notice of an erasure (NoticeReceiver
// on loopback) and `processors get` shows it delivered; an http:// URL to a
// host that is not loopback is refused with the server's code.
#include "tests/api/notice_receiver.h"
#include "tests/ops/vaultctl_fixture.h"

namespace vault::testing {
namespace {

TEST_F(VaultctlTest, ProcessorsPutGetListDeleteAndANoticeArrives) {
  NoticeReceiver receiver;
  ASSERT_GT(receiver.port(), 0);
  Unseal({1, 2, 3});
  const std::string app = SetUpTenant();
  PutSubject(app, "alice");
  const std::string url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/erased";

  CtlResult put = Root({"processors", "put", "--tenant", "acme", "crm", "--url", url});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_NE(put.out.find("crm " + url), std::string::npos) << put.out;
  CtlResult remote =
      Root({"processors", "put", "--tenant", "acme", "crm2", "--url", "http://crm.example.com/x"});
  EXPECT_EQ(remote.exit_code, 1);
  EXPECT_NE(remote.err.find("INVALID_ARGUMENT"), std::string::npos) << remote.err;
  EXPECT_NE(remote.err.find("loopback"), std::string::npos) << remote.err;

  ops::HttpResult erased =
      Call("POST", "/v1/tenants/acme/subjects/alice/erasure", R"({"grace_seconds": 0})", app);
  ASSERT_EQ(erased.status, 200) << erased.body;
  ASSERT_TRUE(receiver.WaitForRequests(1, std::chrono::seconds(30)));
  EXPECT_NE(receiver.requests()[0].body.find("\"subject\":\"alice\""), std::string::npos);
  v1::Processor got;
  for (int i = 0; i < 300 && got.delivered() != 1; ++i) {
    CtlResult r = Root({"--json", "processors", "get", "--tenant", "acme", "crm"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    got = Parse<v1::Processor>(r.out);
    if (got.delivered() != 1) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(got.delivered(), 1);
  EXPECT_EQ(got.pending(), 0);
  CtlResult text = Root({"processors", "get", "--tenant", "acme", "crm"});
  EXPECT_NE(text.out.find("delivered=1 pending=0"), std::string::npos) << text.out;

  CtlResult list = Root({"processors", "list", "--tenant", "acme"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(Lines(list.out), 1) << list.out;
  ASSERT_EQ(Root({"processors", "delete", "--tenant", "acme", "crm"}).exit_code, 0);
  CtlResult gone = Root({"processors", "get", "--tenant", "acme", "crm"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("NOT_FOUND"), std::string::npos) << gone.err;
}

}  // namespace
}  // namespace vault::testing
