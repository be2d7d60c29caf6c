#include "auth/json_schema.hpp"

#include <gtest/gtest.h>

#include "auth/auth_test_support.hpp"

namespace wg {
namespace {

using test::Build;

constexpr std::string_view kConfig = R"({"json_schema": {
    "type": "object", "required": ["event", "items"],
    "properties": {"event": {"enum": ["order.created", "order.paid"]},
                   "items": {"type": "array", "minItems": 1,
                             "items": {"type": "object", "required": ["sku", "price"],
                                       "properties": {"sku": {"type": "string"},
                                                      "price": {"type": "number", "minimum": 0}}}}}}})";

// The 400 message, or "pass".
std::string Outcome(const Validator& validator, std::string_view payload) {
  auto failure = validator.CheckPayload(boost::json::parse(payload));
  if (!failure) return "pass";
  EXPECT_EQ(failure->status, 400u);
  return failure->message;
}

TEST(JsonSchemaValidatorTest, ValidPayloadPasses) {
  auto built = Build(BuildJsonSchema, kConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_TRUE(built.validator->NeedsPayload());
  EXPECT_FALSE(built.validator->NeedsBody()) << "the parsed payload, not the raw body";
  EXPECT_EQ(Outcome(*built.validator,
                    R"({"event": "order.paid", "items": [{"sku": "A1", "price": 9.5}]})"),
            "pass");
}

TEST(JsonSchemaValidatorTest, FailureIs400WithPathAndKeyword) {
  auto built = Build(BuildJsonSchema, kConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  EXPECT_EQ(Outcome(v, R"({"event": "order.paid", "items": [{"sku": "A1", "price": -1}]})"),
            "JSON schema validation failed at /items/0/price (minimum): must be >= 0");
  EXPECT_EQ(Outcome(v, R"({"event": "order.paid"})"),
            "JSON schema validation failed at the root (required): missing required property "
            "\"items\"");
  EXPECT_EQ(Outcome(v, R"([1])"),
            "JSON schema validation failed at the root (type): must be of type \"object\" (got "
            "\"array\")");
  auto failure = v.CheckPayload(boost::json::parse(R"({"event": "x", "items": []})"));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->reason, "schema_enum");
  EXPECT_TRUE(failure->headers.empty());
}

TEST(JsonSchemaValidatorTest, HeadAndBodyStagesPass) {
  auto built = Build(BuildJsonSchema, kConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_EQ(test::Outcome(*built.validator, test::FakeRequest()), "pass");
}

TEST(JsonSchemaValidatorTest, ConfigErrorsCarryTheirPaths) {
  auto built = Build(BuildJsonSchema, R"({"json_schema": {"properties": {"a": {"type": "int"}}}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/json_schema/properties/a/type: unknown type \"int\" (known: array, boolean, "
            "integer, null, number, object, string)\n");

  built = Build(BuildJsonSchema, R"({"json_schema": [1]})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/json_schema: must be a schema (an object or a boolean), got an array\n");
}

TEST(JsonSchemaValidatorTest, BlobPayloadsCannotBeValidated) {
  auto built = Build(BuildJsonSchema, R"({"data_type": "blob", "json_schema": {"type": "object"}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/json_schema: cannot validate a webhook with data_type \"blob\": its body is "
            "not parsed (use json, form or text)\n");
}

}  // namespace
}  // namespace wg
