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
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "policy/policy.h"

namespace sp {

CostModel CostModel::defaults() { return CostModel{1.0, 30.0, 60.0}; }

bool CostModel::parse(const std::string &text, CostModel &out) {
  double v[3];
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    size_t comma = text.find(',', pos);
    if ((i < 2) != (comma != std::string::npos)) return false;
    std::string part = text.substr(pos, i < 2 ? comma - pos : std::string::npos);
    // trim spaces
    size_t b = part.find_first_not_of(" \t"), e = part.find_last_not_of(" \t");
    if (b == std::string::npos) return false;
    part = part.substr(b, e - b + 1);
    const char *s = part.c_str();
    char *end = nullptr;
    double x = std::strtod(s, &end);
    if (end == s || *end != '\0' || !std::isfinite(x) || x < 0) return false;
    v[i] = x;
    pos = comma == std::string::npos ? text.size() : comma + 1;
  }
  out = CostModel{v[0], v[1], v[2]};
  return true;
}

std::string CostModel::to_string() const {
  std::ostringstream o;
  o << "h=" << h << ",w=" << w << ",m=" << m;
  return o.str();
}

} // namespace sp
