// Helpers shared by the Nova, Neutron and Glance clients: turning an OpenStack response into JSON
// or into an Error with the right code, spotting quota failures, and URL query encoding.
// Error codes and retry kinds are common/http_status.h's, with one addition the APIs spell out:
// a 403, 409 or 413 whose message speaks of a quota is kQuotaExceeded (Stalled), and the message
// names the quota ("quota exceeded for instances").
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/http_client.h"
#include "common/result.h"

namespace nkd::providers::openstack {

// The human message inside an OpenStack error body ({"forbidden": {"message": ...}},
// {"NeutronError": {"message": ...}}, Glance's text), at most 300 characters.
[[nodiscard]] std::string service_message(const HttpResponse& response);
// The quota a quota failure names: "instances" from Nova's "Quota exceeded for instances: ...",
// "port" from Neutron's "Quota exceeded for resources: ['port']"; "" when it names none.
[[nodiscard]] std::string quota_name(std::string_view message);
[[nodiscard]] bool is_quota_failure(const HttpResponse& response);
// The Error for a non-2xx `response`; `what` says which call on what ("creating server x").
[[nodiscard]] Error error_from_response(const HttpResponse& response, const std::string& what);
// The body as JSON when the status is one of `expected`, else the Error for it.
[[nodiscard]] Result<nlohmann::json> json_body(const Result<HttpResponse>& response,
                                               const std::string& what,
                                               std::initializer_list<int> expected = {200});
// Percent-encoding for a query value (RFC 3986 unreserved characters kept).
[[nodiscard]] std::string url_encode(std::string_view value);
// True for the 8-4-4-4-12 hexadecimal form OpenStack IDs take.
[[nodiscard]] bool looks_like_uuid(std::string_view text);

}  // namespace nkd::providers::openstack
