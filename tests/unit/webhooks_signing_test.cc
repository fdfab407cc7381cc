#include <gtest/gtest.h>

#include "webhooks/address_policy.h"
#include "webhooks/signing.h"

namespace arenite::webhooks {
namespace {

// The example of the Standard Webhooks specification.
constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kId[] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTimestamp = 1614265330;
constexpr char kBody[] = R"({"test": 2432232314})";

TEST(Signing, MatchesTheStandardWebhooksExample) {
  auto key = SigningKey(kSecret);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(Sign(*key, kId, kTimestamp, kBody), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(Signing, VerifyAcceptsAnyListedSignatureWithinTolerance) {
  auto key = *SigningKey(kSecret);
  auto other = *SigningKey(NewSigningSecret());
  std::string header = SignatureHeader({other, key}, kId, kTimestamp, kBody);
  EXPECT_EQ(Verify(key, kId, "1614265330", header, kBody, kTimestamp + 299), Verdict::kValid);
  EXPECT_EQ(Verify(key, kId, "1614265330", header, kBody, kTimestamp + 301),
            Verdict::kStaleTimestamp);
  EXPECT_EQ(Verify(key, kId, "1614265330", header, "{\"test\": 1}", kTimestamp),
            Verdict::kBadSignature);
  EXPECT_EQ(Verify(key, "msg_other", "1614265330", header, kBody, kTimestamp),
            Verdict::kBadSignature);
  EXPECT_EQ(Verify(key, kId, "16142x", header, kBody, kTimestamp), Verdict::kMalformed);
  EXPECT_EQ(Verify(key, kId, "1614265330", "", kBody, kTimestamp), Verdict::kBadSignature);
}

TEST(Signing, RejectsSecretsWithoutThePrefixOrBase64) {
  EXPECT_FALSE(SigningKey("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").has_value());
  EXPECT_FALSE(SigningKey("whsec_").has_value());
  EXPECT_FALSE(SigningKey("whsec_!!!!").has_value());
  EXPECT_EQ(SigningKey(NewSigningSecret())->size(), 32u);
}

TEST(AddressPolicy, RefusesNonPublicAddressesByDefault) {
  auto policy = *AddressPolicy::Create({}, false);
  for (const char* ip : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                         "0.0.0.0", "100.64.0.1", "224.0.0.1", "255.255.255.255", "::1",
                         "::", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "fe80::1", "fc00::1",
                         "ff02::1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "::127.0.0.1"}) {
    EXPECT_FALSE(policy.CheckAddress(ip).ok()) << ip;
  }
  for (const char* ip : {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"}) {
    EXPECT_TRUE(policy.CheckAddress(ip).ok()) << ip;
  }
  EXPECT_FALSE(policy.CheckAddress("not-an-ip").ok());
}

TEST(AddressPolicy, AllowListAdmitsOnlyItsNetworks) {
  auto policy = *AddressPolicy::Create({"127.0.0.0/8", "::1/128"}, true);
  EXPECT_TRUE(policy.CheckAddress("127.0.0.1").ok());
  EXPECT_TRUE(policy.CheckAddress("127.9.9.9").ok());
  EXPECT_TRUE(policy.CheckAddress("::ffff:127.0.0.1").ok());
  EXPECT_TRUE(policy.CheckAddress("::1").ok());
  EXPECT_FALSE(policy.CheckAddress("10.0.0.1").ok());
  EXPECT_FALSE(policy.CheckAddress("169.254.169.254").ok());
  EXPECT_FALSE(AddressPolicy::Create({"127.0.0.0/33"}, false).ok());
}

TEST(AddressPolicy, UrlsMustBeHttpsWithAHostUnlessHttpIsAllowed) {
  auto strict = *AddressPolicy::Create({}, false);
  EXPECT_TRUE(strict.CheckUrl("https://erp.example.com/hooks/arena").ok());
  EXPECT_FALSE(strict.CheckUrl("http://erp.example.com/hooks").ok());
  EXPECT_FALSE(strict.CheckUrl("https://user:pw@erp.example.com/").ok());
  EXPECT_FALSE(strict.CheckUrl("https://erp.example.com/#frag").ok());
  EXPECT_FALSE(strict.CheckUrl("ftp://erp.example.com/").ok());
  EXPECT_FALSE(strict.CheckUrl("/relative").ok());
  auto lax = *AddressPolicy::Create({}, true);
  EXPECT_TRUE(lax.CheckUrl("http://127.0.0.1:9000/hook").ok());
  // An empty port is 0 to Boost.URL and the default to libcurl: the address checked and the
  // one connected to would differ. Every port that is not 1 to 65535 written plainly is refused.
  EXPECT_TRUE(strict.CheckUrl("https://erp.example.com:8443/hooks").ok());
  EXPECT_TRUE(strict.CheckUrl("https://erp.example.com:65535/").ok());
  for (const char* url : {"https://erp.example.com:/hooks", "https://erp.example.com:0/",
                          "https://erp.example.com:65536/", "https://erp.example.com:0443/",
                          "https://erp.example.com:99999/", "https://[::1]:/"}) {
    EXPECT_FALSE(strict.CheckUrl(url).ok()) << url;
  }
}

}  // namespace
}  // namespace arenite::webhooks
