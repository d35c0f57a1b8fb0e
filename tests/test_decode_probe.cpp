// probe_media (src/decode/probe.h): real clips made with ffmpeg and bad input.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "decode/input.h"
#include "decode/probe.h"
#include "smartplayer.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace sp_test;

namespace {
void write_bytes(const std::string &path, const std::string &bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
}
std::string read_all(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
// A TCP port on 127.0.0.1 with nothing listening (bound then closed).
} // namespace

TEST_CASE("probe_media reads the facts of a generated clip") {
  ClipSpec spec;
  spec.seconds = 2;
  std::string clip = make_clip(spec);
  sp::MediaFacts p;
  std::string err;
  REQUIRE(sp::probe_media(clip, p, err) == SP_OK);
  CHECK(err.empty());
  CHECK(p.has_video);
  CHECK(p.has_audio);
  CHECK(p.width == 320);
  CHECK(p.height == 240);
  CHECK(p.fps == Approx(25.0));
  CHECK(p.duration_ms >= 1900);
  CHECK(p.duration_ms <= 2200);
  CHECK(p.video_codec == "h264");
  CHECK(p.audio_codec == "aac");
  CHECK(p.audio_sample_rate == 48000);
  CHECK(p.container.find("mp4") != std::string::npos);
}

TEST_CASE("file: URLs: file:// is percent-decoded (as file managers write it), file:PATH is taken as it is") {
  ClipSpec spec;
  spec.seconds = 1;
  TempDir dir;
  const std::string name = dir.file("a b%c:d.mp4");
  std::filesystem::copy_file(make_clip(spec), name);
  std::string enc;
  for (char c : name) {
    if (c == ' ')
      enc += "%20";
    else if (c == '%')
      enc += "%25";
    else
      enc += c;
  }
  sp::MediaFacts p;
  std::string err;
  CHECK(sp::probe_media("file://" + enc, p, err) == SP_OK); // was "no such file"
  INFO(err);
  CHECK(sp::probe_media("file:" + name, p, err) == SP_OK);
  CHECK(sp::probe_media(name, p, err) == SP_OK);
  CHECK(sp::probe_media("file://" + enc + "x", p, err) == SP_ERR_NOT_FOUND);
}

TEST_CASE("probe_media accepts a clip without audio") {
  ClipSpec spec;
  spec.seconds = 1;
  spec.audio = false;
  sp::MediaFacts p;
  std::string err;
  REQUIRE(sp::probe_media(make_clip(spec), p, err) == SP_OK);
  CHECK(p.has_video);
  CHECK_FALSE(p.has_audio);
}

TEST_CASE("probe_media refuses bad input with the right code and a message") {
  TempDir dir;
  sp::MediaFacts p;
  std::string err;
  ClipSpec spec;
  spec.seconds = 2;
  std::string good = read_all(make_clip(spec));
  REQUIRE(good.size() > 4096);

  SECTION("missing file") {
    CHECK(sp::probe_media(dir.file("nope.mp4"), p, err) == SP_ERR_NOT_FOUND);
    CHECK_FALSE(err.empty());
  }
  SECTION("empty path") {
    CHECK(sp::probe_media("", p, err) == SP_ERR_NOT_FOUND);
    CHECK_FALSE(err.empty());
  }
  SECTION("zero-length file") {
    write_bytes(dir.file("empty.mp4"), "");
    CHECK(sp::probe_media(dir.file("empty.mp4"), p, err) == SP_ERR_FORMAT);
    CHECK_FALSE(err.empty());
  }
  SECTION("a directory") {
    CHECK(sp::probe_media(dir.path().string(), p, err) == SP_ERR_IO);
    CHECK_FALSE(err.empty());
  }
  SECTION("mp4 cut in half") {
    write_bytes(dir.file("half.mp4"), good.substr(0, good.size() / 2));
    CHECK(sp::probe_media(dir.file("half.mp4"), p, err) == SP_ERR_FORMAT);
    CHECK_FALSE(err.empty());
  }
  SECTION("only the first KiB") {
    write_bytes(dir.file("kib.mp4"), good.substr(0, 1024));
    CHECK(sp::probe_media(dir.file("kib.mp4"), p, err) == SP_ERR_FORMAT);
    CHECK_FALSE(err.empty());
  }
  SECTION("a text file") {
    write_bytes(dir.file("notes.txt"), "This is a text file, not a video.\nSecond line.\n");
    CHECK(sp::probe_media(dir.file("notes.txt"), p, err) == SP_ERR_FORMAT);
    CHECK_FALSE(err.empty());
  }
  SECTION("random garbage") {
    std::string g(8192, '\0');
    uint32_t x = 12345;
    for (auto &c : g) {
      x = x * 1664525u + 1013904223u;
      c = static_cast<char>(x >> 24);
    }
    write_bytes(dir.file("garbage.mp4"), g);
    CHECK(sp::probe_media(dir.file("garbage.mp4"), p, err) == SP_ERR_FORMAT);
    CHECK_FALSE(err.empty());
  }
  SECTION("audio only") {
    std::string a = dir.file("tone.m4a");
    REQUIRE(run("ffmpeg -hide_banner -loglevel error -y -f lavfi -i sine=frequency=440:duration=1 -c:a aac \"" + a +
                "\" </dev/null") == 0);
    CHECK(sp::probe_media(a, p, err) == SP_ERR_NO_VIDEO);
    CHECK_FALSE(err.empty());
  }
  SECTION("URL that does not answer") {
    std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/x.mp4";
    CHECK(sp::probe_media(url, p, err, 2000) == SP_ERR_NETWORK);
    CHECK_FALSE(err.empty());
  }
}

TEST_CASE("probe_media times out on a server that accepts but never answers") {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(s, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
  REQUIRE(listen(s, 4) == 0);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr *>(&a), &len);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/x.mp4";
  sp::MediaFacts p;
  std::string err;
  CHECK(sp::probe_media(url, p, err, 500) == SP_ERR_NETWORK);
  CHECK(err.find("timed out") != std::string::npos);
  close(s);
}

TEST_CASE("probe_media_memory probes bytes in memory") {
  ClipSpec spec;
  spec.seconds = 1;
  std::string good = read_all(make_clip(spec));
  sp::MediaFacts p;
  std::string err;
  CHECK(sp::probe_media_memory(reinterpret_cast<const uint8_t *>(good.data()), good.size(), p, err) == SP_OK);
  CHECK(p.width == 320);
  CHECK(sp::probe_media_memory(reinterpret_cast<const uint8_t *>(good.data()), 1024, p, err) == SP_ERR_FORMAT);
  CHECK_FALSE(err.empty());
  CHECK(sp::probe_media_memory(nullptr, 0, p, err) == SP_ERR_FORMAT);
  sp::MediaInput in;
  REQUIRE(in.open_memory(reinterpret_cast<const uint8_t *>(good.data()), good.size(), "clip", err) == SP_OK);
  CHECK(sp::decode_some(in, 10) >= 10);
}
