// The listener's own CA and serving certificate (http.tls.selfSigned): made once, the CA kept
// for good, the serving certificate reissued only when its names change or it nears expiry,
// and what it issues verifies against the CA for every configured name.
#include "render/pki/listener_pki.h"

#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include "render/pki/certificate.h"

namespace nkd::pki {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::int64_t kDay = 24 * 60 * 60;

// Whether `server_pem` chains to `ca_pem` and is valid for `host` at `when`.
bool verifies_for(const ListenerPki& pki, const std::string& host, std::int64_t when) {
  auto ca = certificate_from_pem(pki.ca.cert_pem);
  auto server = certificate_from_pem(pki.server.cert_pem);
  if (!ca || !server) return false;
  std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca->get());
  std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX_free>> context(
      X509_STORE_CTX_new());
  X509_STORE_CTX_init(context.get(), store.get(), server->get(), nullptr);
  X509_VERIFY_PARAM* parameters = X509_STORE_CTX_get0_param(context.get());
  X509_VERIFY_PARAM_set_time(parameters, static_cast<time_t>(when));
  X509_VERIFY_PARAM_set_purpose(parameters, X509_PURPOSE_SSL_SERVER);
  if (host.find_first_not_of("0123456789.:abcdef") == std::string::npos &&
      host.find_first_of(".:") != std::string::npos) {
    X509_VERIFY_PARAM_set1_ip_asc(parameters, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(parameters, host.c_str(), 0);
  }
  return X509_verify_cert(context.get()) == 1;
}

TEST(ListenerPki, IssuesAServingCertificateForEveryNameUnderItsCa) {
  auto pki = ensure_listener_pki(std::nullopt, {"nkd.lab.example", "10.0.0.5", "::1"}, kNow);
  ASSERT_TRUE(pki.ok()) << pki.error().message;
  EXPECT_TRUE(verifies_for(*pki, "nkd.lab.example", kNow));
  EXPECT_TRUE(verifies_for(*pki, "10.0.0.5", kNow));
  EXPECT_TRUE(verifies_for(*pki, "::1", kNow));
  EXPECT_FALSE(verifies_for(*pki, "other.example", kNow));
  EXPECT_FALSE(verifies_for(*pki, "10.0.0.6", kNow));
}

TEST(ListenerPki, NothingChangesWhenNothingNeedsTo) {
  auto first = ensure_listener_pki(std::nullopt, {"nkd.lab"}, kNow);
  ASSERT_TRUE(first.ok());
  auto second = ensure_listener_pki(*first, {"nkd.lab"}, kNow + 100 * kDay);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, *first);
}

TEST(ListenerPki, KeepsTheCaAndReissuesTheServerWhenItsNamesChange) {
  auto first = ensure_listener_pki(std::nullopt, {"nkd.lab"}, kNow);
  ASSERT_TRUE(first.ok());
  auto renamed = ensure_listener_pki(*first, {"nkd.lab", "10.0.0.9"}, kNow);
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->ca, first->ca);
  EXPECT_NE(renamed->server.cert_pem, first->server.cert_pem);
  EXPECT_TRUE(verifies_for(*renamed, "10.0.0.9", kNow));
}

TEST(ListenerPki, RenewsTheServerCertificateBeforeItExpires) {
  auto first = ensure_listener_pki(std::nullopt, {"nkd.lab"}, kNow);
  ASSERT_TRUE(first.ok());
  const std::int64_t later = kNow + 340 * kDay;  // 25 days before the 1-year certificate ends
  auto renewed = ensure_listener_pki(*first, {"nkd.lab"}, later);
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->ca, first->ca);
  EXPECT_NE(renewed->server.cert_pem, first->server.cert_pem);
  EXPECT_TRUE(verifies_for(*renewed, "nkd.lab", later + 300 * kDay));
}

TEST(ListenerPki, HalfACaIsAnErrorNotAReplacement) {
  auto first = ensure_listener_pki(std::nullopt, {"nkd.lab"}, kNow);
  ASSERT_TRUE(first.ok());
  ListenerPki damaged = *first;
  damaged.ca.key_pem = Secret("");
  auto result = ensure_listener_pki(damaged, {"nkd.lab"}, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kParse);
  EXPECT_NE(result.error().message.find("restore tls/ca.pem"), std::string::npos)
      << result.error().message;
}

}  // namespace
}  // namespace nkd::pki
