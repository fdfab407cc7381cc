// Feeds arbitrary answers of a receiver's token endpoint to ReadTokenAnswer, as a hostile
// authorization server could send them, and checks what must hold for every input: no failure
// message shows the client secret, and no accepted token could break out of its header.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "webhooks/client_credentials.h"

using namespace arenite::webhooks;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int kStatuses[] = {200, 201, 400, 401, 403, 404, 429, 500, 0};
  if (size < 2) return 0;
  AttemptResult answer;
  int status = kStatuses[data[0] % (sizeof kStatuses / sizeof kStatuses[0])];
  if (status != 0) {
    answer.status = status;
  } else {
    answer.error_class = ErrorClass::kConnect;
    answer.error = "Could not connect to server";
  }
  answer.body_truncated = (data[1] & 1) != 0;
  answer.response_body.assign(reinterpret_cast<const char*>(data) + 2, size - 2);
  ClientCredentials creds{"https://auth.example.com/token", "erp client", "s3cr3t:v@lue+x", "", ""};

  auto read = ReadTokenAnswer(answer, creds);
  if (auto* failure = std::get_if<TokenFailure>(&read)) {
    // Eight characters in a row of the secret, as sent or form-urlencoded, never show.
    for (std::string_view form : {"s3cr3t:v@lue+x", "s3cr3t%3Av%40lue%2Bx"}) {
      for (size_t i = 0; i + 8 <= form.size(); ++i) {
        if (failure->error.find(form.substr(i, 8)) != std::string::npos) std::abort();
      }
    }
  } else {
    const IssuedToken& token = std::get<IssuedToken>(read);
    for (unsigned char c : token.access_token) {
      if (c <= 0x20 || c >= 0x7f) std::abort();
    }
    if (token.access_token.empty()) std::abort();
    if (token.lifetime_seconds < 0 || token.lifetime_seconds > kMaxTokenLifetimeSeconds) {
      std::abort();
    }
  }
  return 0;
}
