// The process's stamping clock (core/wall_clock.h).
#include "core/wall_clock.h"

namespace sp {

WallClock &wall_clock() {
  static WallClock clock; // anchored at first use
  return clock;
}

} // namespace sp
