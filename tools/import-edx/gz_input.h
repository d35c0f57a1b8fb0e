// A log file as a std::istream, read through zlib: gzip-compressed (a rotated
// tracking.log-20231015-1697328001.gz, a research package's daily
// *-events-2014-01-01.log.gz, several gzip members one after another) or
// plain, told apart by its first bytes, so one code path reads both.
// Nothing is dropped silently: a compressed file that ends inside a member,
// corrupt data, or bytes after the last member that are not gzip (which
// gzip itself only warns about) end the stream with error() saying why.
//
// Thread safety: one object, one thread.
#pragma once
#include <istream>
#include <streambuf>
#include <string>

#include <zlib.h>

class GzInput {
public:
  GzInput() = default;
  ~GzInput();
  GzInput(const GzInput &) = delete;
  GzInput &operator=(const GzInput &) = delete;

  // Whether `path` is there to be read, a file and not a folder ("-" is).
  // False with err set when not.
  static bool readable(const std::string &path, std::string &err);
  // Opens `path` ("-": standard input). False with err set when it cannot.
  bool open(const std::string &path, std::string &err);
  std::istream &stream() { return in_; }
  // After the stream has ended: empty when the file was read to its end,
  // else why it stopped early (truncated or corrupt compressed data, data
  // after the compressed data, an I/O error).
  std::string error() const { return buf_.error; }

private:
  class Buf : public std::streambuf {
  public:
    ~Buf() override;
    int fd = -1;
    bool own_fd = false;
    std::string error;

  protected:
    int_type underflow() override;

  private:
    enum class Mode { Unknown, Plain, Gzip, Done };
    bool fill_input();   // more raw bytes into in_; false at the end of the file or on error
    long inflate_some(); // > 0 bytes decompressed into out_, 0 at the end, < 0 on error
    bool next_member();  // after a member: another follows (true) or the file ends (false)
    Mode mode_ = Mode::Unknown;
    z_stream zs_{};
    bool zs_init_ = false;
    unsigned char in_[1 << 16];
    char out_[1 << 16];
  };
  Buf buf_;
  std::istream in_{&buf_};
};
