// Files compiled into the binary at build time (cmake/embed.cmake): the OpenAPI document and
// the web pages' assets. The table is immutable and safe to read from any thread.
#pragma once

#include <string_view>
#include <vector>

namespace arenite::embedded {

struct File {
  std::string_view path;  // relative to the source tree, e.g. "docs/openapi.yaml"
  std::string_view data;
};

const std::vector<File>& Files();
// The file at `path`, or nullptr.
const File* Find(std::string_view path);

}  // namespace arenite::embedded
