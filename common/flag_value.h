// Hand-parsed command-line flags (the binaries take a few flags each; no flags library is in
// the stack): a value flag is "--flag=value" or "--flag value".
// THREADS: any (pure).
#pragma once

#include <string>

namespace strait::common {

// Splits argv[*i] into `flag` and `value`, moving *i past a separate value. False if the
// value is missing (the flag is last).
inline bool takeFlagValue(int argc, char** argv, int* i, std::string* flag, std::string* value) {
  *flag = argv[*i];
  if (size_t eq = flag->find('='); eq != std::string::npos) {
    *value = flag->substr(eq + 1);
    flag->resize(eq);
    return true;
  }
  if (*i + 1 >= argc) return false;
  *value = argv[++*i];
  return true;
}

}  // namespace strait::common
