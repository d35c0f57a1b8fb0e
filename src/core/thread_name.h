// Thread names: every thread the library starts names itself `sp-<role>`
// (at most 15 characters, the kernel's limit) as its first action, so top,
// perf, gdb and /proc/<pid>/task/*/comm tell them apart. Threads created
// afterwards by that thread (FFmpeg's decoder workers, for instance) inherit
// the name.
//
// Thread safety: names only the calling thread; safe from any thread.
#pragma once

namespace sp {

// Name the calling thread. `name` must start with "sp-" and be at most 15
// characters (longer names are cut); failures are ignored (a name is a
// diagnostic aid, never a reason to stop).
void set_thread_name(const char *name);

} // namespace sp
