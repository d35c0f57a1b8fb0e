#include "policy/policies.h"

namespace sp {

Plan AlwaysOnPolicy::plan(const PolicyContext &) { return Plan{-1, -1}; }

} // namespace sp
