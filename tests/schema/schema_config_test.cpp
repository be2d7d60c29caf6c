// A bad schema is a config error at start, with the JSON path of the offending keyword; every
// error of a schema is listed at once.
#include <gtest/gtest.h>

#include "schema/schema_test_support.hpp"

namespace wg {
namespace {

using test::SchemaErrors;

TEST(JsonSchemaConfigTest, ValidSchemaHasNoErrors) {
  EXPECT_EQ(SchemaErrors(R"({"type": "object", "required": ["id"],
                            "properties": {"id": {"type": "integer", "minimum": 1}}})"),
            "");
  EXPECT_EQ(SchemaErrors("true"), "");
}

TEST(JsonSchemaConfigTest, NotASchema) {
  EXPECT_EQ(SchemaErrors(R"("object")"),
            "/orders/json_schema: must be a schema (an object or a boolean), got a string\n");
  EXPECT_EQ(SchemaErrors(R"({"properties": {"id": "integer"}, "items": [1], "not": null})"),
            "/orders/json_schema/properties/id: must be a schema (an object or a boolean), got a "
            "string\n"
            "/orders/json_schema/items/0: must be a schema (an object or a boolean), got a "
            "number\n"
            "/orders/json_schema/not: must be a schema (an object or a boolean), got null\n");
}

TEST(JsonSchemaConfigTest, UnknownTypeName) {
  EXPECT_EQ(SchemaErrors(R"({"properties": {"a": {"type": "int"}, "b": {"type": ["string", "float"]}}})"),
            "/orders/json_schema/properties/a/type: unknown type \"int\" (known: array, boolean, "
            "integer, null, number, object, string)\n"
            "/orders/json_schema/properties/b/type/1: unknown type \"float\" (known: array, "
            "boolean, integer, null, number, object, string)\n");
  EXPECT_EQ(SchemaErrors(R"({"type": []})"), "/orders/json_schema/type: must name at least one type\n");
}

TEST(JsonSchemaConfigTest, BadRegularExpressions) {
  EXPECT_EQ(SchemaErrors(R"({"properties": {"sku": {"pattern": "^(ab"}}})"),
            "/orders/json_schema/properties/sku/pattern: invalid regular expression \"^(ab\": "
            "missing closing parenthesis at offset 4\n");
  EXPECT_EQ(SchemaErrors(R"({"patternProperties": {"[a-": true}})"),
            "/orders/json_schema/patternProperties/[a-: invalid regular expression \"[a-\": "
            "missing terminating ] for character class at offset 3\n");
  EXPECT_EQ(SchemaErrors(R"({"pattern": 5})"),
            "/orders/json_schema/pattern: must be a regular expression string, got a number\n");
}

TEST(JsonSchemaConfigTest, ReferencesToNowhere) {
  EXPECT_EQ(SchemaErrors(R"({"properties": {"a": {"$ref": "#/definitions/missing"}}})"),
            "/orders/json_schema/properties/a/$ref: \"#/definitions/missing\" points to nothing "
            "in this schema\n");
  EXPECT_EQ(SchemaErrors(R"({"$ref": "https://example.com/schema.json"})"),
            "/orders/json_schema/$ref: only references inside this schema (\"#/...\") are "
            "supported, got \"https://example.com/schema.json\"; remote references are not "
            "fetched\n");
  EXPECT_EQ(SchemaErrors(R"({"$ref": "#item"})"),
            "/orders/json_schema/$ref: \"#item\" is not a JSON pointer such as \"#/$defs/name\" "
            "(anchors are not supported)\n");
  EXPECT_EQ(SchemaErrors(R"({"$ref": 1})"),
            "/orders/json_schema/$ref: must be a reference string such as \"#/$defs/name\", got "
            "a number\n");
  EXPECT_EQ(SchemaErrors(R"({"$defs": {"x": {"type": "strin"}}})"),
            "/orders/json_schema/$defs/x/type: unknown type \"strin\" (known: array, boolean, "
            "integer, null, number, object, string)\n")
      << "definitions are checked even when nothing refers to them";
}

TEST(JsonSchemaConfigTest, EndlessReferenceCycles) {
  EXPECT_EQ(SchemaErrors(R"({"$ref": "#"})"),
            "/orders/json_schema/$ref: the schema refers back to itself without descending into "
            "the value (an endless $ref cycle)\n");
  EXPECT_EQ(SchemaErrors(R"({"$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]},
                                       "b": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/a"}]}},
                             "$ref": "#/$defs/a"})"),
            "/orders/json_schema/$defs/b/anyOf/1/$ref: the schema refers back to itself without "
            "descending into the value (an endless $ref cycle)\n");
  EXPECT_EQ(SchemaErrors(R"({"properties": {"next": {"$ref": "#"}}})"), "")
      << "recursion into a part of the value ends with the value";
}

TEST(JsonSchemaConfigTest, BadKeywordValues) {
  EXPECT_EQ(SchemaErrors(R"({"minLength": -1, "maxItems": "3", "multipleOf": 0,
                            "maximum": "10", "exclusiveMinimum": true, "required": ["a", 1],
                            "enum": "a", "uniqueItems": 1, "allOf": [], "format": 1,
                            "dependentRequired": {"a": "b"}, "properties": []})"),
            "/orders/json_schema/minLength: must be a non-negative integer, got a number\n"
            "/orders/json_schema/maxItems: must be a non-negative integer, got a string\n"
            "/orders/json_schema/multipleOf: must be a number greater than 0, got 0\n"
            "/orders/json_schema/maximum: must be a number, got a string\n"
            "/orders/json_schema/exclusiveMinimum: must be a number, got a boolean (the boolean "
            "form of draft 4 is not supported: write the limit itself)\n"
            "/orders/json_schema/required/1: must be a property name, got a number\n"
            "/orders/json_schema/enum: must be an array of the allowed values, got a string\n"
            "/orders/json_schema/uniqueItems: must be a boolean, got a number\n"
            "/orders/json_schema/allOf: must be a non-empty array of schemas, got an empty array\n"
            "/orders/json_schema/format: must be a format name, got a number\n"
            "/orders/json_schema/dependentRequired/a: must be an array of property names, got a "
            "string\n"
            "/orders/json_schema/properties: must be an object of schemas, got an array\n");
}

TEST(JsonSchemaConfigTest, TupleItemsWithPrefixItems) {
  EXPECT_EQ(SchemaErrors(R"({"prefixItems": [true], "items": [true]})"),
            "/orders/json_schema/items: must be a schema when prefixItems is present\n");
}

TEST(JsonSchemaConfigTest, UnsupportedKeywordsAreErrors) {
  EXPECT_EQ(SchemaErrors(R"({"unevaluatedProperties": false, "$dynamicRef": "#meta"})"),
            "/orders/json_schema/unevaluatedProperties: keyword \"unevaluatedProperties\" is not "
            "supported\n"
            "/orders/json_schema/$dynamicRef: keyword \"$dynamicRef\" is not supported\n");
}

TEST(JsonSchemaConfigTest, UnknownKeywordsAndFormatsAreWarnings) {
  EXPECT_EQ(SchemaErrors(R"({"requried": ["id"], "format": "iri"})"),
            "warning /orders/json_schema/requried: unknown keyword \"requried\" is ignored\n"
            "warning /orders/json_schema/format: format \"iri\" is not checked\n");
}

}  // namespace
}  // namespace wg
