#include "gz_input.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

GzInput::~GzInput() {
  if (buf_.file) gzclose(buf_.file);
}

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

bool GzInput::open(const std::string &path, std::string &err) {
  if (!readable(path, err)) return false;
  if (path == "-") {
    int fd = ::dup(STDIN_FILENO);
    if (fd >= 0) buf_.file = gzdopen(fd, "rb");
    if (!buf_.file && fd >= 0) ::close(fd);
  } else {
    buf_.file = gzopen(path.c_str(), "rb");
  }
  if (!buf_.file) {
    err = "cannot open '" + path + "'";
    return false;
  }
  path_ = path;
  gzbuffer(buf_.file, 1 << 17);
  return true;
}

std::string GzInput::error() const {
  if (!buf_.file) return "not open";
  int code = Z_OK;
  const char *msg = gzerror(buf_.file, &code);
  if (code == Z_OK) return "";
  std::string m = code == Z_ERRNO || !msg ? "read error" : msg;
  // zlib names the file first ("PATH: unexpected end of file"); callers name it themselves.
  if (m.compare(0, path_.size() + 2, path_ + ": ") == 0) m.erase(0, path_.size() + 2);
  return m;
}

GzInput::Buf::int_type GzInput::Buf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  if (!file) return traits_type::eof();
  int n = gzread(file, data_, sizeof data_);
  if (n <= 0) return traits_type::eof();
  setg(data_, data_, data_ + n);
  return traits_type::to_int_type(*gptr());
}
