// Which webhook targets arenite may connect to (SSRF defence). By default only public unicast
// addresses over https; loopback, private, link-local, multicast, unspecified, shared, reserved
// and cloud-metadata addresses are refused in IPv4 and IPv6, IPv4-mapped IPv6 included, unless
// `serve --webhook-allow-network CIDR` admits them. The sender checks the resolved address and
// then connects to exactly that address, so DNS rebinding cannot slip past. Immutable after
// construction; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace arenite::webhooks {

class AddressPolicy {
 public:
  // `allowed` are CIDRs such as "127.0.0.0/8" or "::1/128".
  static Result<AddressPolicy> Create(const std::vector<std::string>& allowed, bool allow_http);

  // Whether an IP address (text) may be a target; the error names the reason.
  Status CheckAddress(std::string_view ip) const;
  // Whether a URL's scheme and form are acceptable (before resolution): https, or http when
  // allowed; a host; no userinfo; no fragment.
  Status CheckUrl(std::string_view url) const;

  bool allow_http() const { return allow_http_; }

 private:
  struct Network {
    bool v6;
    unsigned char bytes[16];
    int prefix;
  };
  std::vector<Network> allowed_;
  bool allow_http_ = false;
};

}  // namespace arenite::webhooks
