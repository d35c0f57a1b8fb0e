// The one place where the library's internal values become the C API's
// types: an Event becomes an sp_event as the dispatcher thread calls the
// host's callback (Player::emit), control statistics become sp_stats, and so
// on. Layers below the player use only their own types (core/event.h,
// control/control_plane.h). Pure functions: any thread.
#pragma once
#include <cstddef>
#include <string>

#include "control/control_plane.h"
#include "core/event.h"
#include "smartplayer.h"

namespace sp {

int to_sp_event_type(EventType type);
int to_sp_wake_reason(WakeReason reason); // None -> 0
int to_sp_control_state(ControlState state);
// The event as the host sees it. The message points into `ev`: valid while
// `ev` is.
sp_event to_sp_event(const Event &ev);
// Fills every field but struct_size (the caller's).
void fill_sp_stats(const ControlStats &in, sp_stats &out);
sp_window to_sp_window(const PredictedWindow &w);
// Copies src into a fixed char array, truncated, always NUL-terminated.
void copy_str(char *dst, size_t cap, const std::string &src);

} // namespace sp
