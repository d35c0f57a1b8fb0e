// The demo player: an SDL2 window that draws the library's frames, on-screen
// controls, a playlist panel and the control-plane overlay.
//
// Threads: everything here runs on the main (SDL) thread except the two
// library callbacks, on_frame (video thread) and on_event (a library thread),
// which only copy data into mutex-guarded buffers that the main thread drains,
// and wake it (EventWaiter). The main thread sleeps until an event or the
// next deadline its work needs (wait.h, App::run).
//
// Sources: app.cpp (set-up, callbacks, playback commands, headless output, the
// main loop), input.cpp (keys, clicks, library events, --script), draw.cpp
// (video, controls, overlay, screenshot); ui.h the layout both of the last two use.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "options.h"
#include "sdl_util.h"
#include "smartplayer.h"
#include "text.h"
#include "wait.h"

namespace demo {

struct PlayerDeleter {
  void operator()(sp_player *p) const noexcept { sp_player_destroy(p); }
  void operator()(sp_config *c) const noexcept { sp_config_destroy(c); }
};
using PlayerPtr = std::unique_ptr<sp_player, PlayerDeleter>;
using ConfigPtr = std::unique_ptr<sp_config, PlayerDeleter>;

class App {
public:
  App(Options opt, std::vector<std::string> playlist);
  ~App();
  App(const App &) = delete;
  App &operator=(const App &) = delete;

  // Create the window and the player; returns an exit code != 0 on failure.
  int init();
  // Run until quit; returns the process exit code.
  int run();

private:
  // --- library callbacks (library threads) ---
  static void on_frame(const sp_video_frame *f, void *user);
  static void on_event(const sp_event *ev, void *user);

  // --- playback ---
  bool open_item(size_t index);
  void go_to(size_t index);      // viewer-chosen item: sp_skip then open
  void next_item(int direction); // n / b and the buttons
  void check(int rc, const char *what);
  void seek_abs(int64_t ms);
  void seek_rel(int64_t ms);
  void change_rate(int steps);
  void change_volume(int delta);
  void toggle_mute();
  void toggle_fullscreen();

  // --- input ---
  void handle_sdl_event(const SDL_Event &e);
  void handle_key(SDL_Keycode key);
  void handle_click(int x, int y);
  void drain_library_events();
  void run_script(double t_s);
  bool run_command(const ScriptCommand &c);
  void click_at(const std::string &target); // --script "click ...": synthetic SDL mouse events

  // --- drawing ---
  struct Layout;
  Layout layout() const;
  void poll_player();
  void upload_frame();
  void draw();
  void draw_video(int w, int h);
  void draw_controls(const Layout &l);
  void draw_status(const Layout &l);
  void draw_playlist(const Layout &l);
  void draw_toast(const Layout &l);
  bool controls_visible() const;
  bool save_screenshot(const std::string &path);
  void toast(const std::string &msg, bool error);

  // --- headless output ---
  void print_progress();
  void print_summary();

  Options opt_;
  std::vector<std::string> items_;
  bool headless_ = false;

  WindowPtr window_;
  RendererPtr renderer_;
  FontPtr font_, font_small_;
  std::unique_ptr<TextCache> text_;
  TexturePtr video_tex_;
  int tex_w_ = 0, tex_h_ = 0;
  int rotation_ = 0; // the open item's, degrees clockwise (sp_media_info.rotation)

  // Frames handed over by the video thread (double buffer).
  struct SharedFrame {
    std::mutex mu;
    std::vector<uint8_t> back;
    int w = 0, h = 0;
    bool fresh = false;
    int64_t received = 0;
  } frame_;
  std::vector<uint8_t> front_;

  // Events from the library thread.
  struct PendingEvent {
    int type = 0, code = 0;
    int64_t value = 0, position_ms = 0;
    std::string message;
  };
  std::mutex ev_mu_;
  std::vector<PendingEvent> ev_queue_;

  // UI state (main thread).
  size_t current_ = 0;
  size_t selected_ = 0;
  size_t list_scroll_ = 0;
  bool playlist_open_ = false;
  bool show_windows_ = false;
  bool show_stats_ = true;
  bool fullscreen_ = false;
  bool cursor_shown_ = true;
  bool quit_ = false;
  bool ended_last_ = false;
  bool seek_drag_ = false, vol_drag_ = false;
  int64_t drag_pos_ms_ = 0;
  int drag_volume_ = 0;
  int mouse_x_ = -1, mouse_y_ = -1;
  uint64_t last_input_ms_ = 0;
  std::string toast_text_;
  bool toast_error_ = false;
  uint64_t toast_until_ms_ = 0;
  size_t script_next_ = 0;
  int script_failures_ = 0;
  uint64_t play_start_ms_ = 0;
  uint64_t last_progress_ms_ = 0;
  uint64_t last_draw_ms_ = 0;
  int64_t frames_drawn_ = 0;
  int64_t sessions_opened_ = 0;

  // Player properties polled once per loop iteration.
  struct Snapshot {
    int state = SP_STATE_IDLE;
    int64_t pos = 0, dur = 0, buffered = 0;
    double rate = 1.0;
    int volume = 100, mute = 0;
    int control = SP_CONTROL_AWAKE;
    int64_t wakes_in = -1;
    sp_stats stats{};
    std::vector<sp_window> windows;
    int64_t session = 0;
  } snap_;

  // The main thread's sleep; the callbacks wake it (created before the player).
  std::unique_ptr<EventWaiter> waiter_;
  // When the next thing on screen changes by itself (a toast ends, the
  // controls hide): the loop redraws then. kNever: nothing is due.
  uint64_t next_change_ms() const;

  // Declared last so it is destroyed first: the player's threads call back
  // into frame_, ev_queue_ and waiter_ above until sp_player_destroy returns.
  PlayerPtr player_;
};

} // namespace demo
