// The player's configuration keys that share a rule with the rest of the
// library: "cost" is read by the one cost-string parser (CostModel::parse),
// and "policy" accepts the live policies of the one list of names.
#include <catch2/catch.hpp>

#include <string>

#include "core/result.h"
#include "player/config.h"
#include "policy/factory.h"

using namespace sp;

TEST_CASE("cost: the one h,w,m parser, spaces allowed; the control plane reads the same string") {
  PlayerConfig cfg;
  std::string err;
  CHECK(cfg.set("cost", "1, 30, 60", err) == kOk);
  CHECK(cfg.cost == "1, 30, 60");
  CostModel c{};
  REQUIRE(CostModel::parse(cfg.cost, c));
  CHECK(c.h == 1);
  CHECK(c.w == 30);
  CHECK(c.m == 60);
  CHECK(cfg.set("cost", " 0.5 ,\t2,3 ", err) == kOk);
  for (const char *bad :
       {"1,2", "1,2,3,", "1,,3", "a,b,c", "1,2,-3", "1,2,inf", "", "0x1,30,60", "0,30,60"}) {
    INFO(bad);
    CHECK(cfg.set("cost", bad, err) == kErrInvalidArgument);
    CHECK(err.find("h,w,m") != std::string::npos);
    CostModel unused{};
    std::string why;
    CHECK_FALSE(CostModel::parse(bad, unused, &why)); // both sides agree
    CHECK(err.find(why) != std::string::npos);        // and the option says the parser's reason
  }
}

TEST_CASE("numbers: decimal, an optional '+', spaces on either side; no hex, inf or nan") {
  PlayerConfig cfg;
  std::string err;
  for (const char *ok : {"5", " 5", "5 ", "\t5\n", "+5"}) {
    INFO("'" << ok << "'");
    CHECK(cfg.set("log_batch_ms", ok, err) == kOk);
    CHECK(cfg.log_batch_ms == 5);
  }
  CHECK(cfg.set("timeout_s", " 2.5e1 ", err) == kOk);
  for (const char *bad : {"", " ", "0x10", "5x", "5 5", "+-5", "--5", "1e3"}) {
    INFO("'" << bad << "'");
    CHECK(cfg.set("log_batch_ms", bad, err) == kErrInvalidArgument);
    CHECK(err.find("log_batch_ms") != std::string::npos);
  }
  for (const char *bad : {"0x10", "0x1p4", "inf", "nan", "-inf", "1e999", "", "2 s"}) {
    INFO("'" << bad << "'");
    CHECK(cfg.set("timeout_s", bad, err) == kErrInvalidArgument);
  }
}

TEST_CASE("policy: auto and the policies that run live, named from the one list") {
  PlayerConfig cfg;
  std::string err;
  for (const auto &name : live_policy_choices())
    CHECK(cfg.set("policy", name, err) == kOk);
  CHECK(live_policy_choices().front() == "auto");
  for (const auto &name : policy_names())
    if (!runs_live(name)) CHECK(cfg.set("policy", name, err) == kErrInvalidArgument);
  CHECK(cfg.set("policy", "oracle", err) == kErrInvalidArgument);
  CHECK(err ==
        "bad value 'oracle' for 'policy': expected auto, always-on, fixed-timeout, seed-genre or learned");
  CHECK(list_names({"a"}) == "a");
  CHECK(list_names({"a", "b", "c"}, " or ") == "a, b or c");
}
