// The ids and names a host hands sp_open (sp_media_meta), checked, and their
// defaults: what the behaviour log stores and exports, so they must come
// back byte for byte from an export/import round trip (include/smartplayer.h,
// sp_media_meta).
//
// Thread safety: pure functions.
#pragma once
#include <cstddef>
#include <string>

#include "smartplayer.h"

namespace sp {

// Caps in bytes of UTF-8 (documented with sp_media_meta).
inline constexpr size_t kMaxVideoIdBytes = 1024;
inline constexpr size_t kMaxTitleBytes = 1024;
inline constexpr size_t kMaxGenreBytes = 64;
inline constexpr size_t kMaxViewerIdBytes = 256;

struct MediaMeta {
  std::string video_id, title, genre, viewer_id;
};

// Checks the fields the host set (NULL or "" means "use the default") and
// fills `out` with them or the defaults: video_id = the url, title = the
// url's file name, genre = "unknown", viewer_id = "anonymous". A field that
// is not well-formed UTF-8, holds a control character or is over its cap is
// SP_ERR_INVALID_ARGUMENT with a message naming the field and the first
// offending byte. A default taken from a url that is not clean UTF-8 is
// percent-escaped (core/utf8.h), so it is stored as valid text.
int resolve_media_meta(const std::string &url, const sp_media_meta &meta, MediaMeta &out, std::string &err);

} // namespace sp
