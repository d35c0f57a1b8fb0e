// core/wall_clock.h: the stamping clock never goes back, follows the system
// clock forward at an anchor, and ignores a system clock stepped backwards.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>
#include <vector>

#include "core/wall_clock.h"

using sp::WallClock;

namespace {

int64_t fake_system = 0, fake_steady = 0;
int64_t read_system() {
  return fake_system;
}
int64_t read_steady() {
  return fake_steady;
}

} // namespace

TEST_CASE("stamps advance with the monotonic clock between anchors, whatever the system clock does") {
  fake_system = 1'700'000'000'000;
  fake_steady = 5'000;
  WallClock c(&read_system, &read_steady);
  CHECK(c.now_ms() == 1'700'000'000'000);
  fake_steady += 250;
  fake_system -= 3'600'000; // stepped back an hour: not read between anchors
  CHECK(c.now_ms() == 1'700'000'000'250);
  fake_system += 7'200'000; // and forward two hours: not read either
  fake_steady += 10;
  CHECK(c.now_ms() == 1'700'000'000'260);
}

TEST_CASE("an anchor follows the system clock forward") {
  fake_system = 1'700'000'000'000;
  fake_steady = 0;
  WallClock c(&read_system, &read_steady);
  fake_steady += 1'000;
  fake_system += 61'000; // the system clock gained a minute on the monotonic one
  CHECK(c.now_ms() == 1'700'000'001'000);
  c.anchor();
  CHECK(c.now_ms() == 1'700'000'061'000);
}

TEST_CASE("an anchor never moves stamps back, even when the system clock went back") {
  fake_system = 1'700'000'000'000;
  fake_steady = 0;
  WallClock c(&read_system, &read_steady);
  fake_steady += 2'000;
  const int64_t before = c.now_ms();
  CHECK(before == 1'700'000'002'000);
  fake_system = 1'699'999'000'000; // a step back (e.g. NTP) before the next session starts
  c.anchor();
  CHECK(c.now_ms() == before); // goes on from the last stamp
  fake_steady += 5;
  CHECK(c.now_ms() == before + 5);
  // Once the system clock is ahead again, the next anchor follows it.
  fake_system = 1'700'000'100'000;
  c.anchor();
  CHECK(c.now_ms() == 1'700'000'100'000);
}

TEST_CASE("the real clock is close to the system clock and never goes back across threads and anchors") {
  WallClock c;
  const int64_t sys = WallClock::system_ms();
  CHECK(std::abs(c.now_ms() - sys) < 60'000);
  std::vector<std::thread> readers;
  std::atomic<bool> bad{false};
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&] {
      int64_t last = 0;
      for (int i = 0; i < 200'000; ++i) {
        int64_t v = c.now_ms();
        if (v < last) bad = true;
        last = v;
      }
    });
  for (int i = 0; i < 1000; ++i)
    c.anchor();
  for (auto &t : readers)
    t.join();
  CHECK_FALSE(bad.load());
}
