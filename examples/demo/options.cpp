#include "options.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>

#include "smartplayer.h"

namespace demo {
namespace fs = std::filesystem;

namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Length of the well-formed UTF-8 sequence (RFC 3629) that starts at s[i];
// 0 when none does.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;                       // continuation bytes
  unsigned char lo = 0x80, hi = 0xBF; // the range of the first of them
  if (c >= 0xC2 && c <= 0xDF) {
    n = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 2;
    lo = c == 0xE0 ? 0xA0 : 0x80; // no overlong forms
    hi = c == 0xED ? 0x9F : 0xBF; // no UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 3;
    lo = c == 0xF0 ? 0x90 : 0x80;
    hi = c == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (size_t k = 1; k <= n; ++k) {
    if (i + k >= s.size()) return 0;
    const unsigned char t = byte(i + k);
    if (t < (k == 1 ? lo : 0x80) || t > (k == 1 ? hi : 0xBF)) return 0;
  }
  return n + 1;
}

// The viewer id the log gets, from --viewer or else $USER, made into what
// sp_media_meta.viewer_id accepts (well-formed UTF-8 without control
// characters): a name in a legacy encoding (Latin-1
// "jos\xe9") keeps its bytes as %XX ("jos%E9"), so two such names stay
// apart; '%' is escaped too only then. (Longer than 256 bytes, it is
// refused by sp_open with its error.) smartplayer-sim --viewer-id and the
// library's defaults from a url escape the same way, so the seeded history
// of examples/demo/run-demo.sh is the demo viewer's own.
std::string viewer_id_of(std::string_view s) {
  if (s.empty()) return "viewer";
  bool clean = true;
  for (size_t i = 0; clean && i < s.size();) {
    const size_t n = utf8_sequence(s, i);
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (n == 0 || c < 0x20 || c == 0x7F) clean = false;
    i += n ? n : 1;
  }
  if (clean) return std::string(s);
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence(s, i);
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (n == 0 || c < 0x20 || c == 0x7F || c == '%') {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
      i += 1;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool parse_double(const std::string &s, double &out) {
  if (s.empty()) return false;
  char *end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || !std::isfinite(v)) return false;
  out = v;
  return true;
}

// Commands and whether their argument is required (1), optional (2) or absent (0).
struct CommandSpec {
  const char *name;
  int arg;
};
constexpr std::array<CommandSpec, 15> kCommands{{
    {"pause", 0}, {"play", 0}, {"toggle", 0}, {"seek", 1}, {"rate", 1}, {"volume", 1}, {"mute", 2},
    {"unmute", 0}, {"key", 1}, {"click", 1}, {"screenshot", 1}, {"next", 0}, {"prev", 0}, {"step", 0}, {"quit", 0},
}};

} // namespace

bool valid_click(const std::string &arg) {
  static const std::set<std::string> buttons{"play", "back", "fwd", "prev", "next", "slower", "faster", "mute", "video"};
  std::istringstream in(arg);
  std::string a, b, extra;
  in >> a >> b >> extra;
  if (!extra.empty()) return false;
  double x = 0, y = 0;
  if (b.empty()) return buttons.count(a) > 0;
  if (a == "seek" || a == "volume") return parse_double(b, x) && x >= 0 && x <= 1;
  return parse_double(a, x) && parse_double(b, y) && x >= 0 && y >= 0;
}

std::string usage_text() {
  return "usage: smartplayer-demo [options] FILE|DIR|URL...\n"
         "  --db PATH             behaviour log (default ./smartplayer.db; \"\" = no logging)\n"
         "  --viewer NAME         viewer id for the log (default $USER or \"viewer\"; bytes that are not\n"
         "                        UTF-8, and then '%', as %XX)\n"
         "  --genre G             genre passed with every item (default \"unknown\")\n"
         "  --policy P            control-plane policy: learned | fixed-timeout | always-on | seed-genre | auto\n"
         "  --script FILE         timed commands, one a line: \"at T cmd [arg]\" (T = seconds since playback\n"
         "                        started): pause play toggle step seek S|+S|-S rate R volume V mute [0|1]\n"
         "                        unmute key K click C screenshot FILE.png|.bmp next prev quit\n"
         "  --screenshot FILE     save the window (PNG, or BMP by extension) just before quitting\n"
         "  --set KEY=VALUE       any other library option (sp_config_set), e.g. timeout_s=5, cost=1,30,60\n"
         "  --quit-after S        quit S seconds after playback started\n"
         "  --headless            no window on screen (SDL dummy video driver) and a progress line every\n"
         "                        second; automatic with SDL_VIDEODRIVER=dummy\n"
         "  --no-audio            do not open an audio device\n"
         "  --font PATH           TrueType font for the on-screen text\n"
         "  --help, --version\n"
         "keys: space play/pause, left/right or j/l -/+10 s, up/down volume, m mute, f fullscreen,\n"
         "      [ ] speed, n/p next/previous item, Tab playlist, w predicted awake windows, i stats, q/Esc quit\n";
}

std::optional<std::vector<ScriptCommand>> parse_script(const std::string &text, std::string &error) {
  std::vector<ScriptCommand> out;
  std::stringstream lines(text);
  std::string line;
  int line_no = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::stringstream parts(line);
    std::string part;
    while (std::getline(parts, part, ';')) {
      std::string item = trim(part);
      if (item.empty()) continue;
      const std::string where = "line " + std::to_string(line_no) + " '" + item + "'";
      std::istringstream words(item);
      std::string t, cmd, arg;
      words >> t;
      if (t == "at") words >> t;
      words >> cmd;
      std::getline(words, arg);
      arg = trim(arg);
      ScriptCommand c;
      if (!parse_double(t, c.at_s) || c.at_s < 0) {
        error = "--script: bad time '" + t + "' in " + where + " (want \"at SECONDS command\")";
        return std::nullopt;
      }
      auto spec = std::find_if(kCommands.begin(), kCommands.end(), [&](const CommandSpec &s) { return cmd == s.name; });
      if (spec == kCommands.end()) {
        error = "--script: unknown command '" + cmd + "' in " + where;
        return std::nullopt;
      }
      if (spec->arg == 1 && arg.empty()) {
        error = "--script: '" + cmd + "' needs an argument in " + where;
        return std::nullopt;
      }
      if (spec->arg == 0 && !arg.empty()) {
        error = "--script: '" + cmd + "' takes no argument in " + where;
        return std::nullopt;
      }
      if (cmd == "seek" || cmd == "rate" || cmd == "volume") {
        double v = 0;
        std::string num = arg;
        if (cmd == "seek" && num[0] == '+') num = num.substr(1);
        if (!parse_double(num, v)) {
          error = "--script: '" + cmd + "' needs a number, got '" + arg + "' in " + where;
          return std::nullopt;
        }
      }
      if (cmd == "click" && !valid_click(arg)) {
        error = "--script: 'click' wants a control (play back fwd prev next slower faster mute), "
                "'seek F' or 'volume F' (F = 0..1 along the bar) or 'X Y' pixels, got '" + arg + "' in " + where;
        return std::nullopt;
      }
      if (cmd == "mute" && !arg.empty() && arg != "0" && arg != "1") {
        error = "--script: 'mute' takes 0 or 1, got '" + arg + "' in " + where;
        return std::nullopt;
      }
      c.cmd = cmd;
      c.arg = arg;
      out.push_back(std::move(c));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const ScriptCommand &a, const ScriptCommand &b) { return a.at_s < b.at_s; });
  return out;
}

std::optional<std::vector<ScriptCommand>> load_script(const std::string &path, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "--script: cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    error = "--script: error reading " + path;
    return std::nullopt;
  }
  return parse_script(ss.str(), error);
}

std::optional<Options> parse_args(int argc, char **argv, std::string &error, bool &want_help) {
  Options o;
  want_help = false;
  const char *user = std::getenv("USER");
  o.viewer = viewer_id_of(user ? user : "");
  auto value = [&](int &i, const std::string &name) -> std::optional<std::string> {
    if (i + 1 >= argc) {
      error = name + " needs a value";
      return std::nullopt;
    }
    return std::string(argv[++i]);
  };
  bool only_inputs = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (only_inputs || a.empty() || a[0] != '-' || a == "-") {
      o.inputs.push_back(a);
      continue;
    }
    if (a == "--") {
      only_inputs = true;
    } else if (a == "--help" || a == "-h") {
      want_help = true;
      error = usage_text();
      return std::nullopt;
    } else if (a == "--version") {
      want_help = true;
      error = std::string("smartplayer-demo (libsmartplayer ") + sp_version_string() + ")\n";
      return std::nullopt;
    } else if (a == "--db") {
      auto v = value(i, a);
      if (!v) return std::nullopt;
      o.db = *v;
    } else if (a == "--viewer") {
      auto v = value(i, a);
      if (!v) return std::nullopt;
      if (!v->empty()) o.viewer = viewer_id_of(*v); // "" keeps the default ($USER or "viewer")
    } else if (a == "--genre") {
      auto v = value(i, a);
      if (!v) return std::nullopt;
      o.genre = v->empty() ? "unknown" : *v;
    } else if (a == "--font") {
      auto v = value(i, a);
      if (!v) return std::nullopt;
      o.font = *v;
    } else if (a == "--policy") {
      auto v = value(i, a);
      if (!v) return std::nullopt;
      static const std::set<std::string> ok{"learned", "fixed-timeout", "always-on", "seed-genre", "auto"};
      if (!ok.count(*v)) {
        error = "--policy: unknown policy '" + *v + "' (learned, fixed-timeout, always-on, seed-genre, auto)";
        return std::nullopt;
      }
      o.policy = *v;
    } else if (a == "--script") {
      auto v = value(i, a);
      if (!v) return std::nullopt;
      auto s = load_script(*v, error);
      if (!s) return std::nullopt;
      o.script_path = *v;
      o.script = std::move(*s);
    } else if (a == "--screenshot") {
      auto v = value(i, a);
      if (!v) return std::nullopt;
      if (v->empty()) {
        error = "--screenshot needs a file name";
        return std::nullopt;
      }
      o.screenshot_at_exit = *v;
    } else if (a == "--set") {
      auto v = value(i, a);
      if (!v) return std::nullopt;
      auto eq = v->find('=');
      if (eq == std::string::npos || eq == 0) {
        error = "--set wants KEY=VALUE (a libsmartplayer option, e.g. timeout_s=5), got '" + *v + "'";
        return std::nullopt;
      }
      const std::string key = v->substr(0, eq);
      if (key == "video_output" || key == "audio_output" || key == "db" || key == "policy") {
        error = "--set " + key + ": the demo sets this one itself (use --no-audio, --db, --policy)";
        return std::nullopt;
      }
      o.config.emplace_back(key, v->substr(eq + 1));
    } else if (a == "--quit-after") {
      auto v = value(i, a);
      if (!v) return std::nullopt;
      double s = 0;
      if (!parse_double(*v, s) || s < 0) {
        error = "--quit-after: want seconds >= 0, got '" + *v + "'";
        return std::nullopt;
      }
      o.quit_after_s = s;
    } else if (a == "--headless" || a == "--headless-progress") {
      o.headless = true;
    } else if (a == "--no-audio") {
      o.no_audio = true;
    } else {
      error = "unknown option " + a;
      return std::nullopt;
    }
  }
  if (o.inputs.empty()) {
    error = "no FILE, DIR or URL given";
    return std::nullopt;
  }
  return o;
}

bool has_video_extension(const std::string &path) {
  static const std::set<std::string> exts{".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi", ".mpg", ".mpeg",
                                          ".ts",  ".m2ts", ".flv", ".ogv", ".wmv", ".3gp", ".y4m", ".nut"};
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return exts.count(ext) > 0;
}

std::vector<std::string> collect_media(const std::vector<std::string> &inputs, std::string &error) {
  std::vector<std::string> out;
  for (const auto &in : inputs) {
    std::error_code ec;
    if (in.find("://") == std::string::npos && fs::is_directory(in, ec)) {
      std::vector<std::string> found;
      for (fs::directory_iterator it(in, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code ec2;
        if (it->is_regular_file(ec2) && has_video_extension(it->path().string())) found.push_back(it->path().string());
      }
      if (ec) {
        error = "cannot read directory " + in + ": " + ec.message();
        continue;
      }
      if (found.empty()) {
        error = "no video files (by extension) in directory " + in;
        continue;
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(in);
    }
  }
  return out;
}

std::string file_name_of(const std::string &path) {
  std::string p = path;
  if (auto q = p.find_first_of("?#"); p.find("://") != std::string::npos && q != std::string::npos) p.resize(q);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string stem_of(const std::string &path) {
  std::string name = file_name_of(path);
  auto dot = name.find_last_of('.');
  return (dot == std::string::npos || dot == 0) ? name : name.substr(0, dot);
}

std::string format_time(long long ms) {
  if (ms < 0) ms = 0;
  long long s = ms / 1000;
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", s / 60, s % 60);
  return buf;
}

} // namespace demo
