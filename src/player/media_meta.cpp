#include "player/media_meta.h"

#include <filesystem>

#include "core/utf8.h"

namespace sp {

namespace {

int check(const char *field, const char *value, size_t cap, std::string &out, std::string &err) {
  if (!value || !*value) return SP_OK; // the default applies
  const std::string_view v(value);
  size_t at = 0;
  if (!valid_utf8(v, &at)) {
    err = std::string("sp_open: sp_media_meta.") + field + " is not valid UTF-8 (at byte " +
          std::to_string(at) + ")";
    return SP_ERR_INVALID_ARGUMENT;
  }
  if (has_control_char(v, &at)) {
    err = std::string("sp_open: sp_media_meta.") + field + " holds a control character (at byte " +
          std::to_string(at) + ")";
    return SP_ERR_INVALID_ARGUMENT;
  }
  if (v.size() > cap) {
    err = std::string("sp_open: sp_media_meta.") + field + " is " + std::to_string(v.size()) +
          " bytes, longer than the limit of " + std::to_string(cap) + " bytes";
    return SP_ERR_INVALID_ARGUMENT;
  }
  out.assign(v);
  return SP_OK;
}

// A default derived from the url, made into clean UTF-8 when it is not.
std::string clean(const std::string &s) {
  return clean_text(s);
}

} // namespace

int resolve_media_meta(const std::string &url, const sp_media_meta &meta, MediaMeta &out, std::string &err) {
  MediaMeta m;
  if (int r = check("video_id", meta.video_id, kMaxVideoIdBytes, m.video_id, err)) return r;
  if (int r = check("title", meta.title, kMaxTitleBytes, m.title, err)) return r;
  if (int r = check("genre", meta.genre, kMaxGenreBytes, m.genre, err)) return r;
  if (int r = check("viewer_id", meta.viewer_id, kMaxViewerIdBytes, m.viewer_id, err)) return r;
  if (m.video_id.empty()) m.video_id = clean(url);
  if (m.title.empty()) {
    std::string stem = std::filesystem::path(url).filename().string();
    m.title = clean(stem.empty() ? url : stem);
  }
  if (m.genre.empty()) m.genre = "unknown";
  if (m.viewer_id.empty()) m.viewer_id = "anonymous";
  out = std::move(m);
  return SP_OK;
}

} // namespace sp
