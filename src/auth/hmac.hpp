// The webhook's `hmac` key: the sender signs the raw body (and for some providers a timestamp and
// an id) with a shared secret; a request whose signature does not match is refused with 401.
//
// Keys of the `hmac` object:
//   secret     the shared secret (a string);                       one of secret/secrets required
//   secrets    several secrets for rotation: any of them passes;   (both may be given)
//   provider   absent: the Python project's generic check (below), or one of
//                github             X-Hub-Signature-256: sha256=<hex HMAC-SHA256(body)>
//                gitlab             X-Gitlab-Token equals the secret (no signature)
//                shopify            X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(body)>
//                stripe             Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...] over
//                                   "<t>.<body>", keyed by the whsec_ string as-is
//                slack              X-Slack-Signature: v0=<hex> over "v0:<ts>:<body>" with
//                                   X-Slack-Request-Timestamp: <ts>
//                standard_webhooks  webhook-id / webhook-timestamp / webhook-signature:
//                svix                 "v1,<base64>" entries (space-separated) over
//                                   "<id>.<ts>.<body>", HMAC-SHA256 keyed by the base64-decoded
//                                   bytes of "whsec_<base64>"; "v1a,<base64>" ed25519 entries are
//                                   checked against "whpk_<base64>" public keys. Both names read
//                                   the webhook-* headers, else the svix-* ones.
//                twilio             X-Twilio-Signature: <base64 HMAC-SHA1(auth token, URL + for a
//                                   form body every field's name + value, sorted)>; a JSON body
//                                   is covered by the URL's bodySHA256=<hex SHA-256(body)>. The
//                                   URL is rebuilt as request_url.hpp says.
//   tolerance  seconds a timestamp may be off, either way (stripe, slack, standard_webhooks,
//              svix only; default 300)
//   public_url twilio only: the URL's scheme, host and port (and path prefix) as Twilio calls it
//              (https://hooks.example.com), when the Host header does not tell
//   header     generic only: the signature header (default X-HMAC-Signature)
//   algorithm  generic only: sha256 (default), sha1 or sha512
//
// Generic check (as the Python project): the header holds the lower- or upper-case hex HMAC of
// the raw body, bare or as "<algorithm>=<hex>". Every comparison is constant-time.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "auth/validator.hpp"

namespace wg {

class ConfigErrors;

// Builds the method from webhook["hmac"]; every config problem goes to `errors` with its path.
std::shared_ptr<const Validator> BuildHmac(const boost::json::object& webhook,
                                           const std::string& webhook_path, ConfigErrors& errors);

}  // namespace wg
