#include "auth/jwt.hpp"

#include <fmt/format.h>

#include <optional>
#include <string_view>

#include "config/json_reader.hpp"

namespace wg {
namespace {

constexpr std::string_view kBearer = "Bearer ";

std::string_view ReasonOf(JwtError error) {
  switch (error) {
    case JwtError::kMalformed:
      return "jwt_malformed";
    case JwtError::kAlgorithm:
      return "jwt_algorithm";
    case JwtError::kSignature:
      return "jwt_signature";
    case JwtError::kExpired:
      return "jwt_expired";
    case JwtError::kNotYetValid:
      return "jwt_not_yet_valid";
    case JwtError::kIssuer:
      return "jwt_issuer";
    case JwtError::kAudience:
      return "jwt_audience";
    case JwtError::kMissingClaim:
      return "jwt_missing_claim";
    case JwtError::kBadClaim:
      return "jwt_bad_claim";
  }
  return "jwt";
}

class JwtValidator final : public Validator {
 public:
  explicit JwtValidator(JwtVerifier verifier) : verifier_(std::move(verifier)) {}

  std::optional<boost::json::object> SecurityScheme() const override {
    boost::json::object scheme = HttpSecurityScheme("bearer", "A signed JWT.");
    scheme["bearerFormat"] = "JWT";
    return scheme;
  }

  std::optional<AuthFailure> CheckHead(const AuthRequest& request) const override {
    const std::string* header = request.FindHeader("authorization");
    if (header == nullptr || header->empty()) {
      return Unauthenticated("Missing Authorization header", "missing_header");
    }
    if (!std::string_view(*header).starts_with(kBearer)) {
      return Unauthenticated("JWT Bearer token required", "bad_scheme");
    }
    auto verified = verifier_.Verify(std::string_view(*header).substr(kBearer.size()), request.now);
    if (const auto* rejection = std::get_if<JwtRejection>(&verified)) {
      return Unauthenticated(JwtRejectionMessage(*rejection),
                             std::string(ReasonOf(rejection->error)));
    }
    return std::nullopt;
  }

 private:
  JwtVerifier verifier_;
};

}  // namespace

std::string JwtRejectionMessage(const JwtRejection& rejection) {
  switch (rejection.error) {
    case JwtError::kMalformed:
      return "Invalid JWT token format";
    case JwtError::kAlgorithm:
      return "Invalid JWT algorithm";
    case JwtError::kSignature:
      return "Invalid JWT signature";
    case JwtError::kExpired:
      return "JWT token expired";
    case JwtError::kNotYetValid:
      return "JWT token not yet valid";
    case JwtError::kIssuer:
      return "Invalid JWT issuer";
    case JwtError::kAudience:
      return "Invalid JWT audience";
    case JwtError::kMissingClaim:
      return "JWT missing required claim: " + rejection.claim;
    case JwtError::kBadClaim:
      return "JWT validation failed: invalid claim " + rejection.claim;
  }
  return "JWT validation failed";
}

std::shared_ptr<const Validator> BuildJwt(const boost::json::object& webhook,
                                          const std::string& webhook_path, ConfigErrors& errors) {
  const std::string path = JoinPath(webhook_path, "jwt");
  const boost::json::value& value = webhook.at("jwt");
  if (!value.is_object()) {
    errors.Add(path, fmt::format("must be an object with secret and algorithm, got {}",
                                 JsonKindName(value)));
    return nullptr;
  }
  ObjectReader reader(value.get_object(), path, errors);
  const size_t before = errors.size();
  std::string secret = reader.StringOr("secret", "");
  std::string algorithm = reader.StringOr("algorithm", "HS256");
  JwtRules rules;
  rules.issuer = reader.String("issuer");
  rules.audience = reader.String("audience");
  rules.verify_exp = reader.Bool("verify_exp", true);
  reader.RejectUnknownKeys("jwt");
  auto verifier = BuildJwtVerifier(secret, reader.PathOf("secret"), {algorithm},
                                   reader.PathOf("algorithm"), std::move(rules), errors);
  if (!verifier || errors.size() != before) return nullptr;
  return std::make_shared<JwtValidator>(std::move(*verifier));
}

}  // namespace wg
