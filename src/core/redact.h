// Credentials in URLs (http://user:password@host/...) kept out of what the
// library shows and stores: messages, FFmpeg's log lines, the behaviour log's
// video ids and paths. The URL handed to FFmpeg keeps them (the login needs
// them); nothing the library writes or says does.
//
// Thread safety: pure functions.
#pragma once
#include <string>
#include <string_view>

namespace sp {

// s with the user information of every "scheme://userinfo@host" in it
// hidden: "user:password@" becomes "user:***@", a lone "token@" becomes
// "***@". Text without such a URL comes back unchanged.
std::string redact_credentials(std::string_view s);

} // namespace sp
