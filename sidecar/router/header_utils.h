// Header rules shared by both directions of the proxy. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sidecar/http/h1_codec.h"
#include "sidecar/http/headers.h"
#include "sidecar/router/route_table.h"

namespace strait::proxy {

// Removes hop-by-hop fields (RFC 9110 7.6.1): connection, every field the Connection header
// names, keep-alive, proxy-connection, transfer-encoding, upgrade, te (except "trailers",
// kept when `keep_te_trailers`), and proxy-authenticate... only the connection-specific ones.
void stripHopByHop(http::HeaderMap& headers, bool keep_te_trailers);

// A generated reply: `head` gets the status, content-type text/plain, content-length and
// x-strait-local-reply: `details`; returns the body (the reason phrase and a newline).
std::string makeLocalReply(int status, std::string_view details, http::ResponseHead* head);


}  // namespace strait::proxy
