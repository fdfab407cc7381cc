#include "core/embedded.h"

namespace arenite::embedded {

const File* Find(std::string_view path) {
  for (const File& f : Files()) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

}  // namespace arenite::embedded
