#include <pthread.h>
#include <sys/stat.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "api/auth.h"
#include "api/oauth_routes.h"
#include "api/routes.h"
#include "api/webhook_routes.h"
#include "cli/commands.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/log.h"
#include "extract/extracts.h"
#include "extract/scheduler.h"
#include "http/server.h"
#include "http/tls.h"
#include "oauth/apps.h"
#include "oauth/es256_batch.h"
#include "oauth/keys.h"
#include "oauth/tokens.h"
#include "plm/effectivity.h"
#include "plm/plm.h"
#include "store/store.h"
#include "web/pages.h"
#include "webhooks/dispatcher.h"
#include "webhooks/secret_box.h"
#include "webhooks/webhooks.h"
#include "workspace/quota.h"
#include "workspace/sessions.h"
#include "workspace/throttle.h"
#include "workspace/users.h"

namespace arenite::cli {
namespace {

struct ServeOptions {
  std::string data_dir;
  std::string listen = "127.0.0.1:8443";
  std::string public_url;
  std::string tls_cert, tls_key;
  bool plain_http = false;
  bool demo = false;
  std::vector<std::string> webhook_allow_networks;
  bool webhook_allow_http = false;
  std::string webhook_ca_file;
  std::string log_format = "text";
  std::string log_level = "info";
  int64_t request_limit = 100000;
  size_t max_body_bytes = 8 * 1024 * 1024;
  int header_timeout = 10;
  int idle_timeout = 60;
  int max_connections = 4096;
  int io_threads = 0;
  int worker_threads = 64;
  int64_t read_cache_mib = 64;
  bool unsafe_test_clock = false;
  int64_t access_token_ttl = 3600;
  bool hedged_signatures = false;
  int64_t token_rate_per_client = 120;
  int64_t token_rate_per_address = 600;
  int64_t webhook_debounce = 10;
  int64_t webhook_max_package_bytes = 20 * 1024 * 1024;
  int64_t webhook_disable_after = 5 * 86400;
  int64_t webhook_retention_days = 30;
  int webhook_sender_threads = 32;
  int webhook_connect_timeout = 5;
  int webhook_attempt_timeout = 15;
  extract::Retention extract_retention;
};

bool ValidCidr(const std::string& cidr) {
  boost::system::error_code ec;
  if (cidr.find(':') != std::string::npos) {
    boost::asio::ip::make_network_v6(cidr, ec);
  } else {
    boost::asio::ip::make_network_v4(cidr, ec);
  }
  return !ec;
}

// On an empty data dir: a demo workspace whose admin credentials are kept in
// DIR/demo-credentials.json (mode 0600) and printed at every start with --demo.
Status PrepareDemo(const std::string& data_dir, workspace::Users& users, store::Store& store) {
  std::string path = data_dir + "/demo-credentials.json";
  ARENITE_ASSIGN_OR_RETURN(auto existing, users.ListWorkspaces());
  json::Json creds;
  if (existing.empty()) {
    std::string password = crypto::RandomToken().substr(0, 20);
    workspace::NewUser admin{"admin@demo.arenite.test", "Demo Administrator",
                             workspace::Role::kAdmin, password};
    ARENITE_ASSIGN_OR_RETURN(auto created, users.CreateWorkspace("Demo Workspace", admin));
    // Items, BOMs, suppliers and changes to explore.
    ARENITE_RETURN_IF_ERROR(FillDemoWorkspace(store, created.first.guid, 2000, 1));
    creds = {{"event", "demo"},
             {"workspaceId", created.first.guid},
             {"email", admin.email},
             {"password", password}};
    std::ofstream out(path, std::ios::trunc);
    ::chmod(path.c_str(), 0600);
    out << creds.dump() << "\n";
  } else {
    std::ifstream in(path);
    if (!in) {
      log::Get("main")->warn("--demo on a data dir that was not made by --demo: no credentials");
      return OkStatus();
    }
    std::string line;
    std::getline(in, line);
    auto parsed = json::Parse(line);
    if (!parsed.ok()) return Internal("cannot read " + path);
    creds = *parsed;
  }
  std::cout << creds.dump() << std::endl;
  std::cerr << "Demo workspace ready. Sign in as " << creds.value("email", "") << " with password "
            << creds.value("password", "") << "\n";
  return OkStatus();
}

int Serve(const ServeOptions& o) {
  // Signals go to one thread that waits for them; block them before any other thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  log::Init(o.log_format == "json" ? log::Format::kJson : log::Format::kText,
            spdlog::level::from_str(o.log_level));
  auto logger = log::Get("main");
  auto fail = [](const std::string& message, int code) {
    std::cerr << "arenite serve: " << message << "\n";
    return code;
  };

  // Validate everything before touching the data dir.
  http::ServerOptions server_options;
  if (!SplitHostPort(o.listen, &server_options.host, &server_options.port)) {
    return fail("--listen must be HOST:PORT with an IP address, e.g. 127.0.0.1:8443", 2);
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return fail("--tls-cert and --tls-key go together", 2);
  }
  if (o.plain_http && !o.tls_cert.empty()) {
    return fail("--http serves plain HTTP; it cannot be combined with --tls-cert", 2);
  }
  for (const auto& cidr : o.webhook_allow_networks) {
    if (!ValidCidr(cidr)) return fail("--webhook-allow-network is not a CIDR: " + cidr, 2);
  }
  if (o.log_format != "text" && o.log_format != "json") {
    return fail("--log-format must be text or json", 2);
  }
  if (o.request_limit < 1) return fail("--request-limit must be at least 1", 2);
  if (o.read_cache_mib < 0 || o.read_cache_mib > 65536) {
    return fail("--read-cache-mib must be 0 (off) to 65536", 2);
  }
  if (o.access_token_ttl < 60 ||
      o.access_token_ttl > oauth::SigningKeys::kMaxTokenLifetimeSeconds) {
    return fail("--access-token-ttl must be 60 to 86400 seconds", 2);
  }
  if (o.token_rate_per_client < 1 || o.token_rate_per_address < 1) {
    return fail("--token-rate-per-client and --token-rate-per-address must be at least 1", 2);
  }
  if (o.webhook_debounce < 0 || o.webhook_debounce > 3600) {
    return fail("--webhook-debounce must be 0 to 3600 seconds", 2);
  }
  if (o.webhook_max_package_bytes < 1024) {
    return fail("--webhook-max-package-bytes must be at least 1024", 2);
  }
  if (o.webhook_disable_after < 60) return fail("--webhook-disable-after must be at least 60", 2);
  if (o.webhook_retention_days < 1) return fail("--webhook-retention-days must be at least 1", 2);
  if (o.webhook_sender_threads < 1 || o.webhook_sender_threads > 512) {
    return fail("--webhook-sender-threads must be 1 to 512", 2);
  }
  if (o.webhook_connect_timeout < 1 || o.webhook_connect_timeout > 300 ||
      o.webhook_attempt_timeout < 1 || o.webhook_attempt_timeout > 300) {
    return fail("--webhook-connect-timeout and --webhook-attempt-timeout must be 1 to 300 seconds",
                2);
  }
  auto address_policy =
      webhooks::AddressPolicy::Create(o.webhook_allow_networks, o.webhook_allow_http);
  if (!address_policy.ok()) return fail(address_policy.error().message, 2);
  if (o.extract_retention.keep_runs < 0 || o.extract_retention.keep_days < 0) {
    return fail("--extract-keep-runs and --extract-keep-days must be 0 (no limit) or more", 2);
  }

  auto opened = OpenDataDir(o.data_dir, o.demo);
  if (!opened.ok()) return fail(opened.error().message, 1);
  std::unique_ptr<store::Store> store = std::move(opened).value();

  server_options.tls = !o.plain_http;
  if (server_options.tls) {
    if (o.tls_cert.empty()) {
      Status made = http::EnsureSelfSignedCertificate(o.data_dir + "/tls");
      if (!made.ok()) return fail(made.error().message, 1);
      server_options.cert_file = o.data_dir + "/tls/cert.pem";
      server_options.key_file = o.data_dir + "/tls/key.pem";
    } else {
      server_options.cert_file = o.tls_cert;
      server_options.key_file = o.tls_key;
    }
  }
  server_options.max_body_bytes = o.max_body_bytes;
  server_options.header_timeout_seconds = o.header_timeout;
  server_options.idle_timeout_seconds = o.idle_timeout;
  server_options.max_connections = o.max_connections;
  server_options.io_threads = o.io_threads;
  server_options.worker_threads = o.worker_threads;
  // Short reads run on the I/O threads: they read through connections of their own, never
  // waiting for the pool that lists, extracts and the webhook worker share.
  server_options.on_io_thread_start = [] { arenite::store::MarkLatencySensitiveThread(); };

  if (o.plain_http) {
    logger->warn("--http: serving plain HTTP; use this only behind a TLS-terminating proxy");
  }
  if (!o.webhook_allow_networks.empty()) {
    logger->warn(
        "--webhook-allow-network: webhook targets in private networks are admitted; "
        "for development and tests only");
  }
  if (o.webhook_allow_http) {
    logger->warn(
        "--webhook-allow-http: plain http:// webhook targets are admitted; for "
        "development and tests only");
  }

  SystemClock system_clock;
  AdjustableClock test_clock;
  const Clock& clock = o.unsafe_test_clock ? static_cast<const Clock&>(test_clock) : system_clock;
  if (o.unsafe_test_clock) {
    logger->warn("--unsafe-test-clock: POST /_test/clock moves this server's time; tests only");
  }

  workspace::Users users(*store, clock);
  workspace::LoginThrottle throttle(clock);
  workspace::Sessions sessions(*store, users, clock, throttle);
  workspace::RequestQuota quota(clock, o.request_limit,
                                [&users](const std::string& ws) -> std::optional<int64_t> {
                                  auto w = users.GetWorkspace(ws);
                                  return w.ok() ? w->request_limit : std::nullopt;
                                });
  api::Auth auth(sessions, quota, clock);

  if (o.demo) {
    Status demo = PrepareDemo(o.data_dir, users, *store);
    if (!demo.ok()) return fail(demo.error().message, 1);
  }

  http::Router router;
  api::RegisterSystemRoutes(router, *store, o.unsafe_test_clock ? &test_clock : nullptr);
  api::RegisterSessionRoutes(router, auth, sessions, quota);
  api::RegisterBrowserSessionRoutes(router, auth, sessions, quota, users);
  // Set once the token service exists: a user's change reaches their live bearer tokens.
  std::function<void(const std::string&)> forget_user_tokens;
  api::RegisterUserRoutes(router, auth, users, sessions,
                          [&forget_user_tokens](const std::string& id) {
                            if (forget_user_tokens) forget_user_tokens(id);
                          });
  // Workspace data (items, BOMs, changes, suppliers) and the event outbox.
  plm::Plm plm(*store, clock);
  // Rendered single-object reads, served again until the next commit (src/api/read_cache.h).
  api::ReadCache read_cache(static_cast<size_t>(o.read_cache_mib) * 1024 * 1024);
  api::RegisterPlmRoutes(router, auth, plm, *store, clock, read_cache);
  // DataExtract: packages are kept under DIR/extracts/<workspace>/.
  extract::Extracts extracts(*store, clock, o.data_dir + "/extracts");
  if (Status recovered = extracts.RecoverInterrupted(); !recovered.ok()) {
    return fail("extract: " + recovered.error().message, 1);
  }
  api::RegisterExtractRoutes(router, auth, extracts);
  // Scheduled runs and package retention; stopped before `extracts` goes away.
  extracts.SetRetention(o.extract_retention);
  extract::Scheduler extract_scheduler(extracts, clock);
  extract_scheduler.Start();
  // Effectivity on date: APPROVED PERMANENT_ON_DATE changes become EFFECTIVE on their date.
  plm::EffectivityScheduler effectivity(plm);
  effectivity.Start();

  http::Server server(server_options, router);
  auto port = server.Start();
  if (!port.ok()) return fail(port.error().message, 1);
  std::string host = server_options.host.find(':') != std::string::npos
                         ? "[" + server_options.host + "]"
                         : server_options.host;
  std::string url = std::string(server_options.tls ? "https" : "http") + "://" + host + ":" +
                    std::to_string(*port);
  std::string public_url = o.public_url.empty() ? url : o.public_url;
  while (public_url.size() > 8 && public_url.back() == '/') public_url.pop_back();

  // OAuth 2.0: the issuer is the public URL, so these routes are added once it is known and
  // before the listening line tells clients to connect.
  oauth::es256::UseBatches(!o.hedged_signatures);
  oauth::Apps oauth_apps(*store, users, clock);
  oauth::SigningKeys signing_keys(*store, clock);
  oauth::TokenService tokens(*store, clock, oauth_apps, signing_keys,
                             {.issuer = public_url, .access_token_ttl = o.access_token_ttl});
  for (Status s : {signing_keys.EnsureCurrent(), tokens.Load(), oauth_apps.CheckSecretAges()}) {
    if (!s.ok()) return fail("oauth: " + s.error().message, 1);
  }
  oauth_apps.SetListener(
      [&tokens](const oauth::App& app, bool live) { tokens.OnAppChanged(app, live); });
  auth.SetBearerValidator(
      [&tokens](std::string_view token) { return tokens.ValidateBearer(token); });
  forget_user_tokens = [&tokens](const std::string& id) { tokens.ForgetUser(id); };
  api::RegisterOAuthAppRoutes(router, auth, oauth_apps);
  api::RegisterOAuthServerRoutes(router, tokens, oauth_apps, signing_keys, sessions, clock,
                                 {o.token_rate_per_client, o.token_rate_per_address});

  // Webhooks: subscriptions, and the dispatcher that delivers the outbox's events to them.
  auto secret_box = webhooks::SecretBox::Load(o.data_dir);
  if (!secret_box.ok()) return fail("webhooks: " + secret_box.error().message, 1);
  webhooks::Sender sender(
      *address_policy,
      {.connect_timeout_ms = std::min(o.webhook_connect_timeout, o.webhook_attempt_timeout) * 1000,
       .total_timeout_ms = o.webhook_attempt_timeout * 1000,
       .ca_file = o.webhook_ca_file});
  webhooks::Webhooks hooks(*store, clock, *secret_box, sender.policy(),
                           {.debounce_seconds = o.webhook_debounce,
                            .max_package_bytes = o.webhook_max_package_bytes,
                            .disable_after_seconds = o.webhook_disable_after,
                            .retention_seconds = o.webhook_retention_days * 86400,
                            .packages_dir = o.data_dir + "/webhooks",
                            .public_url = public_url});
  hooks.SetAppCheck([&oauth_apps](const std::string& ws, const std::string& guid) -> Status {
    ARENITE_RETURN_IF_ERROR(oauth_apps.Get(ws, guid));
    return OkStatus();
  });
  oauth_apps.SetDeleteGuard([&hooks](store::Tx& tx, const oauth::App& app) -> Status {
    ARENITE_ASSIGN_OR_RETURN(auto using_app, hooks.UsingApp(tx, app.guid));
    if (using_app.empty()) return OkStatus();
    std::string names;
    for (const auto& w : using_app) names += (names.empty() ? "" : ", ") + w.name;
    return Conflict(
        "the application authenticates webhooks (" + names + "); change or delete them first",
        kErrInUse);
  });
  webhooks::Dispatcher dispatcher(
      *store, clock, hooks, sender,
      [&oauth_apps, &tokens](const std::string& ws, const std::string& app_guid,
                             const std::string& audience, int64_t lifetime) -> Result<std::string> {
        ARENITE_ASSIGN_OR_RETURN(auto app, oauth_apps.Get(ws, app_guid));
        return tokens.MintAccessToken(app, audience, app.scopes, lifetime);
      },
      {.sender_threads = o.webhook_sender_threads});
  hooks.SetListener([&dispatcher] { dispatcher.Wake(); });
  store->SetCommitListener([&dispatcher] { dispatcher.OnCommit(); });
  dispatcher.Start();
  api::RegisterWebhookRoutes(router, auth, hooks, dispatcher, oauth_apps, *store);
  // The Workspace Settings pages (/settings, /assets).
  web::RegisterPages(router);
  logger->info("serving {} as {}", url, public_url);
  std::cout << json::Json{{"event", "listening"}, {"url", url}}.dump() << std::endl;

  std::thread signal_thread([&] {
    int received = 0;
    sigwait(&signals, &received);
    logger->info("signal {} received: draining", received);
    server.Stop();
  });
  server.Run();
  // Run returns when the server has drained; wake the signal thread if it still waits.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  // Promotions first, so that the events of the last ones are still dispatched.
  effectivity.Stop();
  dispatcher.Stop();
  store->SetCommitListener(nullptr);
  logger->info("stopped");
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the REST API, OAuth server and web pages");
  cmd->add_option("--data-dir", o->data_dir, "The data directory")->required();
  cmd->add_option("--listen", o->listen, "HOST:PORT to listen on (port 0 picks a free one)")
      ->capture_default_str();
  cmd->add_option("--public-url", o->public_url,
                  "The URL clients use; the OAuth issuer (default https://HOST:PORT)");
  cmd->add_option("--tls-cert", o->tls_cert, "PEM certificate chain (default: self-signed)");
  cmd->add_option("--tls-key", o->tls_key, "PEM private key for --tls-cert");
  cmd->add_flag("--http", o->plain_http, "Serve plain HTTP (only behind a TLS proxy)");
  cmd->add_flag("--demo", o->demo, "Create a demo workspace on an empty data dir");
  cmd->add_option("--webhook-allow-network", o->webhook_allow_networks,
                  "Admit webhook targets in this CIDR (development, tests)");
  cmd->add_flag("--webhook-allow-http", o->webhook_allow_http,
                "Admit plain http:// webhook targets (development, tests)");
  cmd->add_option("--webhook-ca-file", o->webhook_ca_file,
                  "Extra CA certificates for webhook targets' TLS");
  cmd->add_option("--log-format", o->log_format, "text or json")->capture_default_str();
  cmd->add_option("--log-level", o->log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  cmd->add_option("--request-limit", o->request_limit,
                  "Default requests per workspace per 24 hours")
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", o->max_body_bytes, "Largest request body accepted")
      ->capture_default_str();
  cmd->add_option("--header-timeout", o->header_timeout,
                  "Seconds a client has to send a request's headers")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", o->idle_timeout,
                  "Seconds an idle keep-alive connection stays open")
      ->capture_default_str();
  cmd->add_option("--max-connections", o->max_connections, "Most connections open at once")
      ->capture_default_str();
  cmd->add_option("--io-threads", o->io_threads, "I/O threads (default: one per core)");
  cmd->add_option("--worker-threads", o->worker_threads, "Threads that run handlers")
      ->capture_default_str();
  cmd->add_option("--read-cache-mib", o->read_cache_mib,
                  "MiB of rendered single-object answers kept until the next commit (0: off)")
      ->capture_default_str();
  cmd->add_flag("--unsafe-test-clock", o->unsafe_test_clock,
                "Let POST /_test/clock move time (integration tests only)");
  cmd->add_option("--access-token-ttl", o->access_token_ttl,
                  "Seconds an OAuth access token lives (60 to 86400)")
      ->capture_default_str();
  cmd->add_flag("--hedged-signatures", o->hedged_signatures,
                "Sign each access token with a nonce made for it (hedged with the key and the "
                "token), not from batches made ahead: for a VM that may be cloned while it runs");
  cmd->add_option("--token-rate-per-client", o->token_rate_per_client,
                  "OAuth endpoint requests per authenticated client per minute (a public "
                  "client's per client and address)")
      ->capture_default_str();
  cmd->add_option("--token-rate-per-address", o->token_rate_per_address,
                  "OAuth endpoint requests per client address per minute, failed client "
                  "authentications included")
      ->capture_default_str();
  cmd->add_option("--webhook-debounce", o->webhook_debounce,
                  "Seconds of events an EXTRACT webhook gathers into one package")
      ->capture_default_str();
  cmd->add_option("--webhook-max-package-bytes", o->webhook_max_package_bytes,
                  "Larger packages are delivered as a download URL")
      ->capture_default_str();
  cmd->add_option("--webhook-disable-after", o->webhook_disable_after,
                  "Seconds without a successful delivery after which a failing webhook is "
                  "disabled")
      ->capture_default_str();
  cmd->add_option("--webhook-retention-days", o->webhook_retention_days,
                  "Days the delivery log keeps settled deliveries")
      ->capture_default_str();
  cmd->add_option("--webhook-sender-threads", o->webhook_sender_threads,
                  "Threads that send webhook deliveries")
      ->capture_default_str();
  cmd->add_option("--webhook-connect-timeout", o->webhook_connect_timeout,
                  "Seconds a webhook attempt may take to connect")
      ->capture_default_str();
  cmd->add_option("--webhook-attempt-timeout", o->webhook_attempt_timeout,
                  "Seconds a whole webhook attempt may take")
      ->capture_default_str();
  cmd->add_option("--extract-keep-runs", o->extract_retention.keep_runs,
                  "Packages kept per extract, newest first (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--extract-keep-days", o->extract_retention.keep_days,
                  "Days a package is kept; the newest of each extract stays (0: no limit)")
      ->capture_default_str();
  cmd->callback([o, &exit_code] { exit_code = Serve(*o); });
}

}  // namespace arenite::cli
