#include <pthread.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/log.h"
#include "http/request.h"
#include "http/server.h"
#include "webhooks/receiver.h"
#include "webhooks/token_check.h"

namespace arenite::cli {
namespace {

struct ReceiveOptions {
  std::string listen = "127.0.0.1:9443";
  std::string out_dir;
  std::string signing_secret;
  std::string issuer, audience, issuer_ca_file;
  std::string client_id, client_secret_file;
  std::string tls_cert, tls_key;
  std::string log_format = "text";
};

int Receive(const ReceiveOptions& o) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  log::Init(o.log_format == "json" ? log::Format::kJson : log::Format::kText);
  auto logger = log::Get("receive");
  auto fail = [](const std::string& message, int code) {
    std::cerr << "arenite receive: " << message << "\n";
    return code;
  };
  http::ServerOptions server_options;
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(o.listen, &host, &port)) {
    return fail("--listen must be HOST:PORT with an IP address, e.g. 127.0.0.1:9443", 2);
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return fail("--tls-cert and --tls-key go together", 2);
  }
  if (o.issuer.empty() != o.audience.empty()) {
    return fail("--issuer and --audience go together", 2);
  }
  if (o.client_id.empty() != o.client_secret_file.empty()) {
    return fail("--client-id and --client-secret-file go together", 2);
  }
  if (!o.client_id.empty() && o.issuer.empty()) {
    return fail("--client-id fetches large packages from the issuer: give --issuer too", 2);
  }
  std::string client_secret;
  if (!o.client_secret_file.empty()) {
    std::ifstream in(o.client_secret_file);
    if (!in || !std::getline(in, client_secret) || client_secret.empty()) {
      return fail("cannot read a client secret from --client-secret-file", 2);
    }
  }
  server_options.host = host;
  server_options.port = port;
  server_options.tls = !o.tls_cert.empty();
  server_options.cert_file = o.tls_cert;
  server_options.key_file = o.tls_key;
  // Deliveries over 20 MiB come as a download URL, so larger bodies are refused before any
  // check; few connections, since each may hold a body in memory.
  server_options.max_body_bytes = 64 * 1024 * 1024;
  server_options.max_connections = 64;
  if (!server_options.tls) {
    logger->warn("no --tls-cert: receiving over plain HTTP; use this only for local tests");
  }

  SystemClock clock;
  webhooks::ReceiverOptions receiver_options;
  receiver_options.out_dir = o.out_dir;
  receiver_options.signing_secret = o.signing_secret;
  if (!o.issuer.empty()) {
    std::string issuer = o.issuer;
    while (issuer.size() > 8 && issuer.back() == '/') issuer.pop_back();
    auto check =
        std::make_shared<webhooks::JwksTokenCheck>(issuer, o.audience, o.issuer_ca_file, clock);
    receiver_options.check_bearer = [check](std::optional<std::string_view> authorization) {
      return check->Check(authorization);
    };
    if (!o.client_id.empty()) {
      // Packages too large to be delivered are fetched with a token of the receiver's own
      // app (client credentials, scope extracts:read), and only from the issuer itself.
      std::string basic =
          "Authorization: Basic " +
          crypto::Base64Encode(http::UrlEncode(o.client_id) + ":" + http::UrlEncode(client_secret));
      std::string ca = o.issuer_ca_file;
      receiver_options.fetch_package = [issuer, basic,
                                        ca](const std::string& url) -> Result<std::string> {
        if (url.rfind(issuer + "/", 0) != 0) {
          return BadRequest("the package's download URL is not the issuer's");
        }
        ARENITE_ASSIGN_OR_RETURN(
            std::string answer,
            webhooks::Call({.method = "POST",
                            .url = issuer + "/oauth/token",
                            .headers = {basic, "Content-Type: application/x-www-form-urlencoded"},
                            .body = "grant_type=client_credentials&scope=extracts%3Aread",
                            .ca_file = ca}));
        ARENITE_ASSIGN_OR_RETURN(json::Json token, json::ParseObject(answer));
        std::string access = json::StringOr(token, "access_token");
        if (access.empty()) return Unauthorized("the issuer gave no access token");
        return webhooks::Call({.url = url,
                               .headers = {"Authorization: Bearer " + access},
                               .ca_file = ca,
                               .max_bytes = size_t{4} << 30});
      };
    }
  }
  auto receiver = webhooks::Receiver::Open(std::move(receiver_options), clock);
  if (!receiver.ok()) return fail(receiver.error().message, receiver.error().status < 500 ? 2 : 1);

  http::Router router;
  router.Add("GET", "/healthz", [](http::Request&) {
    return http::JsonReply(200, {{"status", "ok"}});
  });
  router.Add("POST", "/*",
             [&receiver](http::Request& request) { return (*receiver)->Handle(request); });
  http::Server server(server_options, router);
  auto bound = server.Start();
  if (!bound.ok()) return fail(bound.error().message, 1);
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string url = std::string(server_options.tls ? "https" : "http") + "://" + shown + ":" +
                    std::to_string(*bound);
  std::cout << json::Json{{"event", "listening"}, {"url", url}}.dump() << std::endl;

  std::thread signal_thread([&] {
    int received = 0;
    sigwait(&signals, &received);
    server.Stop();
  });
  server.Run();
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  return 0;
}

}  // namespace

void AddReceiveCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ReceiveOptions>();
  CLI::App* cmd = app.add_subcommand("receive", "Run the reference webhook receiver");
  cmd->add_option("--listen", o->listen, "HOST:PORT to listen on")->capture_default_str();
  cmd->add_option("--out", o->out_dir, "Where events.jsonl and replica.db are kept")->required();
  cmd->add_option("--signing-secret", o->signing_secret, "The webhook's whsec_ signing secret")
      ->required();
  cmd->add_option("--issuer", o->issuer, "Check Bearer tokens from this OAuth issuer");
  cmd->add_option("--audience", o->audience, "The aud the tokens must carry (the target URL)");
  cmd->add_option("--issuer-ca-file", o->issuer_ca_file,
                  "CA certificates to trust when fetching the issuer's JWKS");
  cmd->add_option("--client-id", o->client_id,
                  "The receiver's own OAuth client, to fetch packages too large to deliver");
  cmd->add_option("--client-secret-file", o->client_secret_file,
                  "A file holding that client's secret (first line)");
  cmd->add_option("--tls-cert", o->tls_cert, "PEM certificate chain (else plain HTTP)");
  cmd->add_option("--tls-key", o->tls_key, "PEM private key for --tls-cert");
  cmd->add_option("--log-format", o->log_format, "text or json")->capture_default_str();
  cmd->callback([o, &exit_code] { exit_code = Receive(*o); });
}

}  // namespace arenite::cli
