// Credentials in URLs are hidden in what the library shows and stores
// (core/redact.h): user:password@ and token@, anywhere in a text, several
// times; text without them is unchanged.
#include <catch2/catch.hpp>

#include "core/redact.h"
#include "core/utf8.h"

using sp::redact_credentials;

TEST_CASE("redact_credentials hides the user information of URLs") {
  CHECK(redact_credentials("http://alice:s3cret@host:8080/a/b.mp4?x=1") ==
        "http://alice:***@host:8080/a/b.mp4?x=1");
  CHECK(redact_credentials("rtsp://token@cam.local/stream") == "rtsp://***@cam.local/stream");
  CHECK(redact_credentials("'https://u:p@a/x' then 'ftp://v:q@b/y'") ==
        "'https://u:***@a/x' then 'ftp://v:***@b/y'");
  // A password holding '@' or ':' (as typed by hosts that do not escape it).
  CHECK(redact_credentials("http://bob:p@ss:w@host/x") == "http://bob:***@host/x");
  // Untouched: no user information, or an '@' after the authority.
  CHECK(redact_credentials("http://host/path@2x.mp4") == "http://host/path@2x.mp4");
  CHECK(redact_credentials("/home/me/video@home.mp4") == "/home/me/video@home.mp4");
  CHECK(redact_credentials("mail me: a@b.c") == "mail me: a@b.c");
  CHECK(redact_credentials("") == "");
  CHECK(redact_credentials("http://") == "http://");
  // What messages use.
  CHECK(sp::clean_text("http://alice:s3cret@host/x\n") == "http://alice:***@host/x%0A");
}
