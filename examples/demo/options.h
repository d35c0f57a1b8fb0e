// Command line, --script and playlist handling of smartplayer-demo.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace demo {

// One timed --script command: at `at_s` seconds after playback started, run
// `cmd` with its (optional) argument.
struct ScriptCommand {
  double at_s = 0;
  std::string cmd; // pause play toggle seek rate volume mute unmute key click screenshot next prev step quit
  std::string arg; // "" when the command takes none
};

struct Options {
  std::string db = "./smartplayer.db";
  std::string viewer;          // default $USER or "viewer"
  std::string policy;          // "" = the library default ("auto")
  std::string genre = "unknown";
  std::string font;            // default SP_DEMO_FONT
  std::vector<std::pair<std::string, std::string>> config; // --set KEY=VALUE: passed to sp_config_set
  std::string script_path;          // --script FILE ("" = none)
  std::vector<ScriptCommand> script;
  std::string screenshot_at_exit;   // --screenshot FILE: the window, saved just before quitting
  std::optional<double> quit_after_s;
  bool headless = false;            // --headless: SDL dummy video driver, progress lines
  bool no_audio = false;
  std::vector<std::string> inputs; // files, directories, URLs as given
};

// Parse argv. Returns std::nullopt and fills `error` on a usage error;
// `want_help` is set for --help / --version (the text is in `error`).
std::optional<Options> parse_args(int argc, char **argv, std::string &error, bool &want_help);

// Parse the text of a --script file: one command a line, "at T cmd [arg]"
// ("at" may be left out), blank lines and "#" comments ignored; ';' also
// separates commands. Commands come back sorted by time. Unknown commands,
// missing or extra arguments and bad times are errors naming the line.
std::optional<std::vector<ScriptCommand>> parse_script(const std::string &text, std::string &error);
// A --script "click" argument: a control name (play back fwd prev next slower
// faster mute video), "seek F" / "volume F" with F in [0, 1] along that bar,
// or "X Y" window pixels.
bool valid_click(const std::string &arg);
// Read and parse a --script file.
std::optional<std::vector<ScriptCommand>> load_script(const std::string &path, std::string &error);

// Expand the inputs into a playlist: files and URLs as given, directories
// into their video files (by extension, sorted by name). Missing paths are
// kept (opening them reports the error); `error` is set when a directory
// holds no videos or cannot be read.
std::vector<std::string> collect_media(const std::vector<std::string> &inputs, std::string &error);

// True when the file name has a known video extension (case-insensitive).
bool has_video_extension(const std::string &path);

// "notes.mp4" for "/a/b/notes.mp4"; stem: "notes". URLs use their last path part.
std::string file_name_of(const std::string &path);
std::string stem_of(const std::string &path);

// "01:23" / "1:02:03" for a millisecond position (negative shown as 00:00).
std::string format_time(long long ms);

std::string usage_text();

} // namespace demo
