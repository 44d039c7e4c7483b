// `straitctl status` and `straitctl hosts`: ask strait-control's ManagementService.
#include <iostream>

#include "control/straitctl/commands.h"
#include "control/straitctl/management_client.h"

namespace strait::ctl {

int status(const ControlTarget& target) {
  auto client = ManagementClient::create(target);
  if (client == nullptr) return 1;
  StatusSnapshot snap;
  if (absl::Status st = client->fetchStatus(&snap); !st.ok()) {
    std::cerr << "straitctl: cannot reach " << target.address << ": " << st.message() << std::endl;
    return 1;
  }
  std::cout << "serving version " << snap.config.version() << std::endl;
  // The control plane's own refusal of the config directory (it keeps serving the version above).
  if (std::string refused = refusalLine(snap.config); !refused.empty()) std::cout << refused << std::endl;
  for (const auto& s : snap.sidecars.sidecars()) std::cout << sidecarLine(s) << std::endl;
  return 0;
}

int hosts(const ControlTarget& target) {
  auto client = ManagementClient::create(target);
  if (client == nullptr) return 1;
  strait::v1::ListServicesResponse services;
  if (absl::Status st = client->listServices(&services); !st.ok()) {
    std::cerr << "straitctl: cannot reach " << target.address << ": " << st.message() << std::endl;
    return 1;
  }
  std::cout << "# mesh services (straitctl hosts)" << std::endl;
  for (const auto& s : services.services()) {
    if (s.vip().empty()) {
      std::cerr << "straitctl: service " << s.name() << " has no address (strait-control has no --service-cidr)" << std::endl;
      continue;
    }
    std::cout << s.vip() << " " << s.name();
    if (!s.namespace_().empty()) std::cout << " " << s.name() << "." << s.namespace_() << " " << s.name() << "." << s.namespace_() << ".svc";
    std::cout << std::endl;
  }
  return 0;
}

}  // namespace strait::ctl
