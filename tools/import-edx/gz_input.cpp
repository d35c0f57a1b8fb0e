#include "gz_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

bool GzInput::readable(const std::string &path, std::string &err) {
  if (path == "-") return true;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || ::access(path.c_str(), R_OK) != 0) {
    err = "cannot open '" + path + "': " + std::generic_category().message(errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    err = "'" + path + "' is a folder, not a log";
    return false;
  }
  return true;
}

GzInput::~GzInput() = default;

bool GzInput::open(const std::string &path, std::string &err) {
  if (!readable(path, err)) return false;
  if (path == "-") {
    buf_.fd = STDIN_FILENO;
    return true;
  }
  buf_.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (buf_.fd < 0) {
    err = "cannot open '" + path + "': " + std::generic_category().message(errno);
    return false;
  }
  buf_.own_fd = true;
  return true;
}

GzInput::Buf::~Buf() {
  if (zs_init_) inflateEnd(&zs_);
  if (own_fd && fd >= 0) ::close(fd);
}

bool GzInput::Buf::fill_input() {
  // Keep what is left (the start of a member's header across two reads).
  if (zs_.avail_in > 0 && zs_.next_in != in_) std::memmove(in_, zs_.next_in, zs_.avail_in);
  zs_.next_in = in_;
  for (;;) {
    const ssize_t n = ::read(fd, in_ + zs_.avail_in, sizeof in_ - zs_.avail_in);
    if (n > 0) {
      zs_.avail_in += static_cast<uInt>(n);
      return true;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    error = "read error: " + std::generic_category().message(errno);
    return false;
  }
}

bool GzInput::Buf::next_member() {
  while (zs_.avail_in < 2 && error.empty())
    if (!fill_input()) break;
  if (!error.empty()) return false;
  if (zs_.avail_in == 0) return false; // the end of the file, after a whole member
  if (zs_.avail_in >= 2 && zs_.next_in[0] == 0x1f && zs_.next_in[1] == 0x8b) {
    inflateReset(&zs_);
    return true;
  }
  error = "data after the end of the compressed data is not gzip and was not read";
  return false;
}

long GzInput::Buf::inflate_some() {
  zs_.next_out = reinterpret_cast<Bytef *>(out_);
  zs_.avail_out = sizeof out_;
  while (zs_.avail_out == sizeof out_) {
    if (zs_.avail_in == 0 && !fill_input()) {
      if (error.empty()) error = "unexpected end of file";
      break;
    }
    const int r = inflate(&zs_, Z_NO_FLUSH);
    if (r == Z_STREAM_END) {
      if (!next_member()) {
        mode_ = Mode::Done;
        break;
      }
    } else if (r != Z_OK && r != Z_BUF_ERROR) {
      error = zs_.msg ? zs_.msg : (r == Z_MEM_ERROR ? "out of memory" : "corrupt compressed data");
      break;
    }
  }
  const long n = static_cast<long>(sizeof out_ - zs_.avail_out);
  if (n == 0 && !error.empty()) mode_ = Mode::Done;
  return n;
}

GzInput::Buf::int_type GzInput::Buf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  if (fd < 0 || mode_ == Mode::Done) return traits_type::eof();
  if (mode_ == Mode::Unknown) {
    // Told apart by the first two bytes: gzip's magic 1f 8b, else plain text.
    while (zs_.avail_in < 2 && fill_input()) {
    }
    if (!error.empty()) return traits_type::eof();
    const bool gz = zs_.avail_in >= 2 && zs_.next_in[0] == 0x1f && zs_.next_in[1] == 0x8b;
    if (gz) {
      if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
        error = "out of memory";
        return traits_type::eof();
      }
      zs_init_ = true;
      mode_ = Mode::Gzip;
    } else {
      mode_ = Mode::Plain;
      // What was read to tell is the start of the text.
      const size_t n = zs_.avail_in;
      std::memcpy(out_, zs_.next_in, n);
      zs_.avail_in = 0;
      if (n > 0) {
        setg(out_, out_, out_ + n);
        return traits_type::to_int_type(*gptr());
      }
    }
  }
  long n = 0;
  if (mode_ == Mode::Plain) {
    for (;;) {
      const ssize_t r = ::read(fd, out_, sizeof out_);
      if (r >= 0) {
        n = r;
        break;
      }
      if (errno == EINTR) continue;
      error = "read error: " + std::generic_category().message(errno);
      break;
    }
    if (n <= 0) mode_ = Mode::Done;
  } else {
    n = inflate_some();
  }
  if (n <= 0) return traits_type::eof();
  setg(out_, out_, out_ + n);
  return traits_type::to_int_type(*gptr());
}
