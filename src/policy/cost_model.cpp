// The one place the cost model's defaults live. Reasoning (docs/model.md,
// "Decision rule and cost model"):
//   h = 1   : the unit — one second of the control plane awake (thread serving,
//             the host holding its control connection / heartbeat / radio).
//   w = 30  : one wake (proactive or on demand) costs as much as 30 s awake:
//             re-establishing a control connection (TLS handshake, radio
//             promotion and tail) is of the order of tens of seconds of idle
//             holding. w/h = 30 s is the break-even gap and the default timeout.
//   m = 60  : an interaction that arrives while asleep is served late (after
//             the on-demand wake, which is charged w on top); the viewer-visible
//             hurt is valued at two wakes.
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>

#include "policy/policy.h"

namespace sp {

CostModel CostModel::defaults() { return CostModel{1.0, 30.0, 60.0}; }

namespace {
// A plain decimal number ("30", "0.5", "+2", "1e3"; spaces around): no hex,
// inf or nan, no sign but '+'. False when it is not one.
bool decimal(std::string part, double &x) {
  size_t b = part.find_first_not_of(" \t"), e = part.find_last_not_of(" \t");
  if (b == std::string::npos) return false;
  part = part.substr(b, e - b + 1);
  size_t i = part[0] == '+' ? 1 : 0;
  if (i >= part.size() || !(std::isdigit(static_cast<unsigned char>(part[i])) || part[i] == '.'))
    return false;
  const char *first = part.data() + i, *last = part.data() + part.size();
  auto r = std::from_chars(first, last, x, std::chars_format::general);
  return r.ec == std::errc() && r.ptr == last && std::isfinite(x);
}
} // namespace

bool CostModel::parse(const std::string &text, CostModel &out, std::string *why) {
  auto fail = [&](std::string msg) {
    if (why) *why = std::move(msg);
    return false;
  };
  double v[3];
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    size_t comma = text.find(',', pos);
    if ((i < 2) != (comma != std::string::npos)) return fail("three numbers separated by commas expected");
    std::string part = text.substr(pos, i < 2 ? comma - pos : std::string::npos);
    if (!decimal(part, v[i]))
      return fail(std::string(1, "hwm"[i]) + " = \"" + part +
                  "\" is not a plain decimal number >= 0 (no hex, inf or nan)");
    pos = comma == std::string::npos ? text.size() : comma + 1;
  }
  // With awake time free, staying awake costs nothing and sleeping can only
  // add wakes and misses: the oracle never sleeps, its cost is 0, and every
  // other policy's ratio to it is infinite (the default timeout w/h too).
  if (!(v[0] > 0)) return fail("h must be > 0 (with free awake time no policy can beat staying awake)");
  out = CostModel{v[0], v[1], v[2]};
  return true;
}

std::string CostModel::to_string() const {
  std::ostringstream o;
  o << "h=" << h << ",w=" << w << ",m=" << m;
  return o.str();
}

} // namespace sp
