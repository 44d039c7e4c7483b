// `straitctl validate DIR`.
#include <iostream>

#include "control/straitctl/commands.h"
#include "xds/config_dir.h"

namespace strait::ctl {

int validate(const std::string& dir) {
  auto gen = xds::loadConfigDir(dir);
  if (!gen.ok()) {
    std::cerr << gen.status().message() << std::endl;
    return 1;
  }
  std::cout << "OK: " << gen->listeners_size() << " listeners, " << gen->route_configs_size()
            << " route configs, " << gen->clusters_size() << " clusters, "
            << gen->load_assignments_size() << " load assignments, " << gen->secrets_size()
            << " secrets" << std::endl;
  return 0;
}

}  // namespace strait::ctl
