// Header rules shared by both directions of the proxy. Pure functions.
#pragma once

#include <vector>

#include "sidecar/http/headers.h"
#include "sidecar/proxy/route_table.h"

namespace strait::proxy {

// Removes hop-by-hop fields (RFC 9110 7.6.1): connection, every field the Connection header
// names, keep-alive, proxy-connection, transfer-encoding, upgrade, te (except "trailers",
// kept when `keep_te_trailers`), and proxy-authenticate... only the connection-specific ones.
void stripHopByHop(http::HeaderMap& headers, bool keep_te_trailers);

}  // namespace strait::proxy
