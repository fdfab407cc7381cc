#include "webhooks/address_policy.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/url/parse.hpp>

#include <cstring>

namespace arenite::webhooks {
namespace {

namespace ip = boost::asio::ip;

bool PrefixMatch(const unsigned char* a, const unsigned char* b, int bits) {
  int full = bits / 8, rest = bits % 8;
  if (std::memcmp(a, b, static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

// The reason an IPv4 address is not a public unicast one, or nullptr.
const char* Ipv4Reason(const ip::address_v4::bytes_type& b) {
  uint32_t a = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  auto in = [a](uint32_t net, int bits) {
    uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    return (a & mask) == net;
  };
  if (in(0x00000000, 8)) return "an unspecified or 'this network' address";
  if (in(0x7F000000, 8)) return "a loopback address";
  if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16)) return "a private address";
  if (in(0xA9FE0000, 16)) return "a link-local or cloud-metadata address";
  if (in(0x64400000, 10)) return "a shared (carrier-grade NAT) address";
  if (in(0xC0000000, 24) || in(0xC0000200, 24) || in(0xC6336400, 24) || in(0xCB007100, 24) ||
      in(0xC6120000, 15)) {
    return "a reserved or documentation address";
  }
  if (in(0xE0000000, 4)) return "a multicast address";
  if (in(0xF0000000, 4)) return "a reserved or broadcast address";
  return nullptr;
}

const char* Ipv6Reason(const ip::address_v6& v6) {
  auto b = v6.to_bytes();
  if (v6.is_unspecified()) return "an unspecified address";
  if (v6.is_loopback()) return "a loopback address";
  if (v6.is_v4_mapped()) {
    return Ipv4Reason(ip::make_address_v4(ip::v4_mapped, v6).to_bytes());
  }
  // IPv4-compatible (::a.b.c.d), deprecated but still routed by some stacks.
  static const unsigned char kZero12[12] = {};
  if (std::memcmp(b.data(), kZero12, 12) == 0) return "an IPv4-compatible address";
  if (b[0] == 0xFF) return "a multicast address";
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return "a link-local address";
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return "a site-local address";
  if ((b[0] & 0xFE) == 0xFC) return "a unique-local (private) address";
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8)
    return "a documentation address";
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B) {
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last four bytes.
    ip::address_v4::bytes_type v4{b[12], b[13], b[14], b[15]};
    return Ipv4Reason(v4);
  }
  if (b[0] == 0x20 && b[1] == 0x02) {
    // 6to4 (2002::/16) embeds an IPv4 address in bytes 2-5.
    ip::address_v4::bytes_type v4{b[2], b[3], b[4], b[5]};
    return Ipv4Reason(v4);
  }
  return nullptr;
}

}  // namespace

Result<AddressPolicy> AddressPolicy::Create(const std::vector<std::string>& allowed,
                                            bool allow_http) {
  AddressPolicy policy;
  policy.allow_http_ = allow_http;
  for (const auto& cidr : allowed) {
    boost::system::error_code ec;
    Network n{};
    if (cidr.find(':') != std::string::npos) {
      auto net = ip::make_network_v6(cidr, ec);
      if (ec) return BadRequest("not a CIDR: " + cidr);
      n.v6 = true;
      auto bytes = net.network().to_bytes();
      std::memcpy(n.bytes, bytes.data(), 16);
      n.prefix = net.prefix_length();
    } else {
      auto net = ip::make_network_v4(cidr, ec);
      if (ec) return BadRequest("not a CIDR: " + cidr);
      n.v6 = false;
      auto bytes = net.network().to_bytes();
      std::memcpy(n.bytes, bytes.data(), 4);
      n.prefix = net.prefix_length();
    }
    policy.allowed_.push_back(n);
  }
  return policy;
}

Status AddressPolicy::CheckAddress(std::string_view text) const {
  boost::system::error_code ec;
  ip::address address = ip::make_address(std::string(text), ec);
  if (ec) return BadRequest("the target address is not an IP address");
  // An IPv4-mapped IPv6 address is judged, and matched against the allow list, as IPv4.
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  for (const Network& n : allowed_) {
    if (n.v6 != address.is_v6()) continue;
    if (n.v6) {
      auto b = address.to_v6().to_bytes();
      if (PrefixMatch(b.data(), n.bytes, n.prefix)) return OkStatus();
    } else {
      auto b = address.to_v4().to_bytes();
      if (PrefixMatch(b.data(), n.bytes, n.prefix)) return OkStatus();
    }
  }
  const char* reason =
      address.is_v4() ? Ipv4Reason(address.to_v4().to_bytes()) : Ipv6Reason(address.to_v6());
  if (reason) {
    return BadRequest(std::string("the target resolves to ") + reason +
                          ", which webhooks may not reach (see --webhook-allow-network)",
                      kErrInvalidValue);
  }
  return OkStatus();
}

Status AddressPolicy::CheckUrl(std::string_view url) const {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return BadRequest("targetUrl must be an absolute URL", kErrInvalidValue);
  std::string scheme(parsed->scheme());
  if (scheme != "https" && !(scheme == "http" && allow_http_)) {
    return BadRequest(allow_http_ ? "targetUrl must use https or http"
                                  : "targetUrl must use https (see --webhook-allow-http)",
                      kErrInvalidValue);
  }
  if (!parsed->has_authority() || parsed->encoded_host().empty()) {
    return BadRequest("targetUrl must name a host", kErrInvalidValue);
  }
  if (parsed->has_userinfo()) {
    return BadRequest("targetUrl must not carry a user name or password", kErrInvalidValue);
  }
  if (parsed->has_fragment())
    return BadRequest("targetUrl must not have a fragment", kErrInvalidValue);
  // A port must be a number from 1 to 65535 written plainly. An empty one ("host:/") would
  // otherwise be port 0 here and the scheme's default to libcurl, so that the address checked
  // here and the one libcurl connects to could differ.
  if (parsed->has_port()) {
    std::string_view port = parsed->port();
    bool plain = !port.empty() && port.size() <= 5 && port.front() != '0' &&
                 port.find_first_not_of("0123456789") == std::string_view::npos;
    if (!plain || std::stoul(std::string(port)) > 65535) {
      return BadRequest("targetUrl has an invalid port", kErrInvalidValue);
    }
  }
  return OkStatus();
}

}  // namespace arenite::webhooks
