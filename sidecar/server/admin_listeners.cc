#include "sidecar/server/admin_listeners.h"

#include "absl/strings/str_cat.h"
#include "sidecar/net/address.h"
#include "sidecar/server/admin_json.h"

namespace strait::server {
namespace {

// "ip:port" with the port the socket is bound to ("[ip]:port" for IPv6).
std::string boundAddress(const proxy::ListenSocket& socket) {
  std::string ip = socket.address().ip();
  uint16_t port = net::localPort(socket.fd());
  return ip.find(':') == std::string::npos ? absl::StrCat(ip, ":", port) : absl::StrCat("[", ip, "]:", port);
}

}  // namespace

std::string renderListeners(const proxy::Snapshot* snap, const std::string& version) {
  std::string out = "{\"version\": ";
  appendJsonString(out, snap ? version : "");
  out += ", \"listeners\": [";
  if (snap != nullptr) {
    for (size_t i = 0; i < snap->listeners.size(); i++) {
      const proxy::ListenerInfo& l = snap->listeners[i];
      out += i ? ",\n  {\"name\": " : "\n  {\"name\": ";
      appendJsonString(out, l.name);
      out += ", \"address\": ";
      appendJsonString(out, boundAddress(*l.socket));
      out += ", \"version\": ";
      appendJsonString(out, version);
      absl::StrAppend(&out, ", \"tls\": ", jsonBool(l.tls != nullptr), ", \"use_original_dst\": ",
                      jsonBool(l.use_original_dst), "}");
    }
  }
  out += "]}\n";
  return out;
}

}  // namespace strait::server
