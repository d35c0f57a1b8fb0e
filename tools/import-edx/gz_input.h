// A log file as a std::istream, read through zlib: gzip-compressed (a rotated
// tracking.log-20231015-1697328001.gz, a research package's daily
// *-events-2014-01-01.log.gz, several gzip members one after another) or
// plain, told apart by its first bytes, so one code path reads both.
//
// Thread safety: one object, one thread.
#pragma once
#include <istream>
#include <memory>
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
  // else why it stopped early (truncated or corrupt compressed data, an I/O error).
  std::string error() const;

private:
  class Buf : public std::streambuf {
  public:
    gzFile file = nullptr;

  protected:
    int_type underflow() override;

  private:
    char data_[1 << 16];
  };
  Buf buf_;
  std::istream in_{&buf_};
  std::string path_;
};
