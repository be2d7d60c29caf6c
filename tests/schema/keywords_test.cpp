// One pass and one failure (or more) per keyword, cases written from the draft 7 and 2020-12
// validation specifications.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "schema/schema_test_support.hpp"

namespace wg {
namespace {

using test::Validate;

TEST(JsonSchemaAnyTest, Type) {
  EXPECT_EQ(Validate(R"({"type": "string"})", R"("a")"), "pass");
  EXPECT_EQ(Validate(R"({"type": "string"})", "1"),
            R"( type: must be of type "string" (got "integer"))");
  EXPECT_EQ(Validate(R"({"type": "integer"})", "1.0"), "pass") << "1.0 is an integer";
  EXPECT_EQ(Validate(R"({"type": "integer"})", "1.5"),
            R"( type: must be of type "integer" (got "number"))");
  EXPECT_EQ(Validate(R"({"type": "number"})", "7"), "pass");
  EXPECT_EQ(Validate(R"({"type": ["null", "boolean"]})", "null"), "pass");
  EXPECT_EQ(Validate(R"({"type": ["null", "boolean"]})", "false"), "pass");
  EXPECT_EQ(Validate(R"({"type": ["null", "boolean"]})", "{}"),
            R"( type: must be of type "null" or "boolean" (got "object"))");
  EXPECT_EQ(Validate(R"({"type": "array"})", "[]"), "pass");
  EXPECT_EQ(Validate(R"({"type": "object"})", "[]"),
            R"( type: must be of type "object" (got "array"))");
}

TEST(JsonSchemaAnyTest, Enum) {
  const char* schema = R"({"enum": ["open", 1, null, {"a": [1]}]})";
  EXPECT_EQ(Validate(schema, R"("open")"), "pass");
  EXPECT_EQ(Validate(schema, "1.0"), "pass") << "numbers compare by value";
  EXPECT_EQ(Validate(schema, "null"), "pass");
  EXPECT_EQ(Validate(schema, R"({"a": [1.0]})"), "pass");
  EXPECT_EQ(Validate(schema, R"("closed")"),
            R"( enum: must be one of ["open",1,null,{"a":[1]}])");
  EXPECT_EQ(Validate(schema, "false"), R"( enum: must be one of ["open",1,null,{"a":[1]}])");
}

TEST(JsonSchemaAnyTest, Const) {
  EXPECT_EQ(Validate(R"({"const": {"a": 1, "b": 2}})", R"({"b": 2, "a": 1})"), "pass")
      << "member order does not matter";
  EXPECT_EQ(Validate(R"({"const": {"a": 1, "b": 2}})", R"({"a": 1})"),
            R"( const: must be {"a":1,"b":2})");
  EXPECT_EQ(Validate(R"({"const": false})", "0"), " const: must be false")
      << "false is not 0";
  EXPECT_EQ(Validate(R"({"const": [1, 2]})", "[2, 1]"), " const: must be [1,2]");
}

TEST(JsonSchemaNumberTest, MultipleOf) {
  EXPECT_EQ(Validate(R"({"multipleOf": 2})", "10"), "pass");
  EXPECT_EQ(Validate(R"({"multipleOf": 2})", "7"), " multipleOf: must be a multiple of 2");
  EXPECT_EQ(Validate(R"({"multipleOf": 0.01})", "19.99"), "pass") << "decimal divisors";
  EXPECT_EQ(Validate(R"({"multipleOf": 0.0001})", "0.0075"), "pass");
  EXPECT_EQ(Validate(R"({"multipleOf": 0.0001})", "0.00751"),
            " multipleOf: must be a multiple of 0.0001");
  EXPECT_EQ(Validate(R"({"multipleOf": 1.5})", "4.5"), "pass");
  EXPECT_EQ(Validate(R"({"multipleOf": 0.123456789})", "1e308"),
            " multipleOf: must be a multiple of 0.123456789")
      << "a quotient that overflows is not a multiple";
  EXPECT_EQ(Validate(R"({"multipleOf": 2})", R"("7")"), "pass") << "only numbers";
}

TEST(JsonSchemaNumberTest, Bounds) {
  EXPECT_EQ(Validate(R"({"maximum": 3})", "3"), "pass");
  EXPECT_EQ(Validate(R"({"maximum": 3})", "3.5"), " maximum: must be <= 3");
  EXPECT_EQ(Validate(R"({"exclusiveMaximum": 3})", "2.9"), "pass");
  EXPECT_EQ(Validate(R"({"exclusiveMaximum": 3})", "3"), " exclusiveMaximum: must be < 3");
  EXPECT_EQ(Validate(R"({"minimum": 1.5})", "1.5"), "pass");
  EXPECT_EQ(Validate(R"({"minimum": 1.5})", "1"), " minimum: must be >= 1.5");
  EXPECT_EQ(Validate(R"({"exclusiveMinimum": 0})", "0.1"), "pass");
  EXPECT_EQ(Validate(R"({"exclusiveMinimum": 0})", "0"), " exclusiveMinimum: must be > 0");
  EXPECT_EQ(Validate(R"({"maximum": 9007199254740992})", "9007199254740993"),
            " maximum: must be <= 9007199254740992")
      << "exact beyond double precision";
  EXPECT_EQ(Validate(R"({"minimum": -1})", "18446744073709551615"), "pass") << "uint64";
  EXPECT_EQ(Validate(R"({"maximum": 3})", R"("9")"), "pass") << "only numbers";
}

TEST(JsonSchemaStringTest, LengthCountsCodePoints) {
  EXPECT_EQ(Validate(R"({"maxLength": 3})", R"("été")"), "pass") << "3 code points, 5 bytes";
  EXPECT_EQ(Validate(R"({"maxLength": 3})", R"("étés")"),
            " maxLength: must have at most 3 characters");
  EXPECT_EQ(Validate(R"({"minLength": 2})", R"("💩")"),
            " minLength: must have at least 2 characters")
      << "one code point (4 bytes, 2 UTF-16 units)";
  EXPECT_EQ(Validate(R"({"minLength": 2})", R"("ab")"), "pass");
  EXPECT_EQ(Validate(R"({"minLength": 2.0})", R"("a")"),
            " minLength: must have at least 2 characters")
      << "2.0 is a valid count";
  EXPECT_EQ(Validate(R"({"maxLength": 1})", "100"), "pass") << "only strings";
}

TEST(JsonSchemaStringTest, Pattern) {
  EXPECT_EQ(Validate(R"({"pattern": "^[a-z]+-\\d{2}$"})", R"("abc-42")"), "pass");
  EXPECT_EQ(Validate(R"({"pattern": "^[a-z]+-\\d{2}$"})", R"("abc-4")"),
            R"( pattern: must match the pattern "^[a-z]+-\d{2}$")");
  EXPECT_EQ(Validate(R"({"pattern": "b+"})", R"("aabbcc")"), "pass") << "not anchored";
  EXPECT_EQ(Validate(R"({"pattern": "^(ab|cd)*$"})", R"("abcdab")"), "pass");
  EXPECT_EQ(Validate(R"({"pattern": "^(ab|cd)*$"})", R"("abc")"),
            R"( pattern: must match the pattern "^(ab|cd)*$")");
  EXPECT_EQ(Validate(R"({"pattern": "^a$"})", R"("a\n")"),
            R"( pattern: must match the pattern "^a$")")
      << "$ is the end of the string, as in ECMA-262";
  EXPECT_EQ(Validate(R"({"pattern": "^\\u00e9.$"})", R"("éx")"), "pass") << "\\u escapes";
  EXPECT_EQ(Validate(R"({"pattern": "^.$"})", R"("💩")"), "pass") << "one code point";
  EXPECT_EQ(Validate(R"({"pattern": "^\\d+$"})", R"("٣")"),
            R"( pattern: must match the pattern "^\d+$")")
      << "\\d is ASCII only";
  EXPECT_EQ(Validate(R"({"pattern": "^a"})", "12"), "pass") << "only strings";
}

TEST(JsonSchemaStringTest, CatastrophicPatternFailsFast) {
  std::string payload = "\"" + std::string(40, 'a') + "!\"";
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Validate(R"({"pattern": "^(a+)+$"})", payload),
            R"( pattern: matching the pattern "^(a+)+$" took too many steps)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(JsonSchemaArrayTest, ItemsWithOneSchema) {
  const char* schema = R"({"items": {"type": "integer"}})";
  EXPECT_EQ(Validate(schema, "[1, 2, 3]"), "pass");
  EXPECT_EQ(Validate(schema, "[]"), "pass");
  EXPECT_EQ(Validate(schema, R"([1, "x", 3])"), R"(/1 type: must be of type "integer" (got "string"))");
  EXPECT_EQ(Validate(schema, R"({"0": "x"})"), "pass") << "only arrays";
}

TEST(JsonSchemaArrayTest, TupleItemsAndAdditionalItems) {
  const char* schema =
      R"({"items": [{"type": "string"}, {"type": "number"}], "additionalItems": false})";
  EXPECT_EQ(Validate(schema, R"(["a", 1])"), "pass");
  EXPECT_EQ(Validate(schema, R"(["a"])"), "pass") << "a shorter array is fine";
  EXPECT_EQ(Validate(schema, R"([1, 1])"), R"(/0 type: must be of type "string" (got "integer"))");
  EXPECT_EQ(Validate(schema, R"(["a", 1, null])"),
            "/2 additionalItems: is not allowed here (the schema is false)");
  EXPECT_EQ(Validate(R"({"items": [{"type": "string"}], "additionalItems": {"type": "null"}})",
                     R"(["a", null, 3])"),
            R"(/2 type: must be of type "null" (got "integer"))");
  EXPECT_EQ(Validate(R"({"additionalItems": false})", "[1, 2]"), "pass")
      << "additionalItems without an items array means nothing";
}

TEST(JsonSchemaArrayTest, PrefixItems) {
  const char* schema = R"({"prefixItems": [{"const": "v1"}], "items": {"type": "integer"}})";
  EXPECT_EQ(Validate(schema, R"(["v1", 2, 3])"), "pass");
  EXPECT_EQ(Validate(schema, R"(["v2"])"), R"(/0 const: must be "v1")");
  EXPECT_EQ(Validate(schema, R"(["v1", 2, 3.5])"),
            R"(/2 type: must be of type "integer" (got "number"))");
  EXPECT_EQ(Validate(R"({"prefixItems": [true], "items": false})", "[1, 2]"),
            "/1 items: is not allowed here (the schema is false)");
}

TEST(JsonSchemaArrayTest, ItemCounts) {
  EXPECT_EQ(Validate(R"({"minItems": 1, "maxItems": 2})", "[1]"), "pass");
  EXPECT_EQ(Validate(R"({"minItems": 1, "maxItems": 2})", "[]"),
            " minItems: must have at least 1 items");
  EXPECT_EQ(Validate(R"({"minItems": 1, "maxItems": 2})", "[1, 2, 3]"),
            " maxItems: must have at most 2 items");
}

TEST(JsonSchemaArrayTest, UniqueItems) {
  EXPECT_EQ(Validate(R"({"uniqueItems": true})", R"([1, "1", [1], {"a": 1}, true])"), "pass");
  EXPECT_EQ(Validate(R"({"uniqueItems": true})", "[1, 2, 1.0]"),
            " uniqueItems: must not contain equal items (items 0 and 2 are equal)");
  EXPECT_EQ(Validate(R"({"uniqueItems": true})", R"([{"a": 1, "b": 2}, {"b": 2, "a": 1}])"),
            " uniqueItems: must not contain equal items (items 0 and 1 are equal)");
  EXPECT_EQ(Validate(R"({"uniqueItems": true})", "[false, 0]"), "pass");
  EXPECT_EQ(Validate(R"({"uniqueItems": false})", "[1, 1]"), "pass");
}

TEST(JsonSchemaArrayTest, UniqueItemsOnALargeArrayIsFast) {
  std::string payload = "[";
  for (int i = 0; i < 200000; ++i) payload += std::to_string(i) + ",";
  payload += "0]";
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Validate(R"({"uniqueItems": true})", payload),
            " uniqueItems: must not contain equal items (items 0 and 200000 are equal)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(JsonSchemaArrayTest, Contains) {
  const char* schema = R"({"contains": {"const": "admin"}})";
  EXPECT_EQ(Validate(schema, R"(["user", "admin"])"), "pass");
  EXPECT_EQ(Validate(schema, R"(["user"])"),
            " contains: must contain at least 1 item matching the contains schema");
  EXPECT_EQ(Validate(schema, "[]"),
            " contains: must contain at least 1 item matching the contains schema");
  const char* counted = R"({"contains": {"type": "integer"}, "minContains": 2, "maxContains": 3})";
  EXPECT_EQ(Validate(counted, R"([1, "a", 2])"), "pass");
  EXPECT_EQ(Validate(counted, R"([1, "a"])"),
            " contains: must contain at least 2 items matching the contains schema");
  EXPECT_EQ(Validate(counted, "[1, 2, 3, 4]"),
            " maxContains: must contain at most 3 items matching the contains schema");
  EXPECT_EQ(Validate(R"({"contains": false, "minContains": 0})", "[1]"), "pass");
}

TEST(JsonSchemaObjectTest, PropertiesAndAdditionalProperties) {
  const char* schema = R"({"properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                           "additionalProperties": false})";
  EXPECT_EQ(Validate(schema, R"({"id": 1, "name": "a"})"), "pass");
  EXPECT_EQ(Validate(schema, "{}"), "pass") << "properties does not require";
  EXPECT_EQ(Validate(schema, R"({"id": "1"})"), R"(/id type: must be of type "integer" (got "string"))");
  EXPECT_EQ(Validate(schema, R"({"id": 1, "extra": true})"),
            "/extra additionalProperties: is not allowed here (the schema is false)");
  EXPECT_EQ(Validate(R"({"additionalProperties": {"type": "number"}})", R"({"a": 1, "b": "x"})"),
            R"(/b type: must be of type "number" (got "string"))");
  EXPECT_EQ(Validate(schema, "[1]"), "pass") << "only objects";
}

TEST(JsonSchemaObjectTest, PatternProperties) {
  const char* schema = R"({"properties": {"id": true},
                           "patternProperties": {"^x-": {"type": "string"}, "-n$": {"type": "number"}},
                           "additionalProperties": false})";
  EXPECT_EQ(Validate(schema, R"({"id": 1, "x-a": "s", "b-n": 2, "x-n": 1})"),
            R"(/x-n type: must be of type "string" (got "integer"))")
      << "every matching pattern applies";
  EXPECT_EQ(Validate(schema, R"({"id": 1, "x-a": "s", "b-n": 2})"), "pass");
  EXPECT_EQ(Validate(schema, R"({"y": 1})"),
            "/y additionalProperties: is not allowed here (the schema is false)");
}

TEST(JsonSchemaObjectTest, Required) {
  const char* schema = R"({"required": ["id", "type"]})";
  EXPECT_EQ(Validate(schema, R"({"id": null, "type": "a"})"), "pass");
  EXPECT_EQ(Validate(schema, R"({"id": 1})"), R"( required: missing required property "type")");
  EXPECT_EQ(Validate(schema, "[]"), "pass") << "only objects";
  EXPECT_EQ(Validate(R"({"properties": {"order": {"required": ["id"]}}})", R"({"order": {}})"),
            R"(/order required: missing required property "id")");
}

TEST(JsonSchemaObjectTest, PropertyNames) {
  const char* schema = R"({"propertyNames": {"pattern": "^[a-z_]+$", "maxLength": 8}})";
  EXPECT_EQ(Validate(schema, R"({"order_id": 1})"), "pass");
  EXPECT_EQ(Validate(schema, R"({"a": 1, "Bad": 2})"),
            R"( propertyNames: property name "Bad" is invalid: must match the pattern "^[a-z_]+$" (pattern))");
  EXPECT_EQ(Validate(schema, R"({"much_too_long": 1})"),
            R"( propertyNames: property name "much_too_long" is invalid: must have at most 8 characters (maxLength))");
}

TEST(JsonSchemaObjectTest, PropertyCounts) {
  EXPECT_EQ(Validate(R"({"minProperties": 1, "maxProperties": 2})", R"({"a": 1})"), "pass");
  EXPECT_EQ(Validate(R"({"minProperties": 1, "maxProperties": 2})", "{}"),
            " minProperties: must have at least 1 properties");
  EXPECT_EQ(Validate(R"({"minProperties": 1, "maxProperties": 2})", R"({"a": 1, "b": 2, "c": 3})"),
            " maxProperties: must have at most 2 properties");
}

TEST(JsonSchemaObjectTest, Dependencies) {
  const char* schema = R"({"dependencies": {"card": ["billing_address"],
                                            "coupon": {"required": ["code"]}}})";
  EXPECT_EQ(Validate(schema, R"({"card": 1, "billing_address": "x"})"), "pass");
  EXPECT_EQ(Validate(schema, R"({"name": "no card"})"), "pass");
  EXPECT_EQ(Validate(schema, R"({"card": 1})"),
            R"( dependencies: property "card" requires property "billing_address")");
  EXPECT_EQ(Validate(schema, R"({"coupon": 1})"), R"( required: missing required property "code")");
}

TEST(JsonSchemaObjectTest, DependentRequiredAndDependentSchemas) {
  EXPECT_EQ(Validate(R"({"dependentRequired": {"a": ["b", "c"]}})", R"({"a": 1, "b": 2})"),
            R"( dependentRequired: property "a" requires property "c")");
  EXPECT_EQ(Validate(R"({"dependentRequired": {"a": ["b"]}})", R"({"b": 2})"), "pass");
  const char* schema = R"({"dependentSchemas": {"a": {"properties": {"b": {"type": "string"}}}}})";
  EXPECT_EQ(Validate(schema, R"({"a": 1, "b": "x"})"), "pass");
  EXPECT_EQ(Validate(schema, R"({"a": 1, "b": 2})"),
            R"(/b type: must be of type "string" (got "integer"))");
  EXPECT_EQ(Validate(schema, R"({"b": 2})"), "pass");
}

TEST(JsonSchemaLogicTest, AllOf) {
  const char* schema = R"({"allOf": [{"type": "integer"}, {"minimum": 10}]})";
  EXPECT_EQ(Validate(schema, "12"), "pass");
  EXPECT_EQ(Validate(schema, "5"), " minimum: must be >= 10");
  EXPECT_EQ(Validate(schema, "10.5"), R"( type: must be of type "integer" (got "number"))");
}

TEST(JsonSchemaLogicTest, AnyOf) {
  const char* schema = R"({"anyOf": [{"type": "string"}, {"minimum": 10}]})";
  EXPECT_EQ(Validate(schema, R"("x")"), "pass");
  EXPECT_EQ(Validate(schema, "11"), "pass");
  EXPECT_EQ(Validate(schema, "5"), " anyOf: must match at least one of the 2 anyOf schemas");
}

TEST(JsonSchemaLogicTest, OneOf) {
  const char* schema = R"({"oneOf": [{"type": "integer"}, {"minimum": 10}]})";
  EXPECT_EQ(Validate(schema, "5"), "pass");
  EXPECT_EQ(Validate(schema, "10.5"), "pass");
  EXPECT_EQ(Validate(schema, "12"),
            " oneOf: must match exactly one of the 2 oneOf schemas, but matches schemas 0 and 1");
  EXPECT_EQ(Validate(schema, "2.5"),
            " oneOf: must match exactly one of the 2 oneOf schemas, but matches none");
}

TEST(JsonSchemaLogicTest, Not) {
  EXPECT_EQ(Validate(R"({"not": {"type": "null"}})", "1"), "pass");
  EXPECT_EQ(Validate(R"({"not": {"type": "null"}})", "null"),
            R"( not: must not match the "not" schema)");
}

TEST(JsonSchemaLogicTest, IfThenElse) {
  const char* schema = R"({"if": {"properties": {"country": {"const": "US"}}},
                           "then": {"properties": {"zip": {"pattern": "^\\d{5}$"}}},
                           "else": {"properties": {"zip": {"type": "string"}}}})";
  EXPECT_EQ(Validate(schema, R"({"country": "US", "zip": "12345"})"), "pass");
  EXPECT_EQ(Validate(schema, R"({"country": "US", "zip": "1234"})"),
            R"(/zip pattern: must match the pattern "^\d{5}$")");
  EXPECT_EQ(Validate(schema, R"({"country": "NL", "zip": "1234"})"), "pass");
  EXPECT_EQ(Validate(schema, R"({"country": "NL", "zip": 1234})"),
            R"(/zip type: must be of type "string" (got "integer"))");
  EXPECT_EQ(Validate(R"({"if": {"type": "string"}, "then": {"minLength": 2}})", "1"), "pass")
      << "no else: anything that fails if passes";
  EXPECT_EQ(Validate(R"({"then": false, "else": false})", "1"), "pass") << "no if: ignored";
}

TEST(JsonSchemaLogicTest, BooleanSchemas) {
  EXPECT_EQ(Validate("true", R"({"anything": 1})"), "pass");
  EXPECT_EQ(Validate("false", "1"), " schema: is not allowed here (the schema is false)");
  EXPECT_EQ(Validate(R"({"properties": {"deprecated": false}})", R"({"deprecated": 1})"),
            "/deprecated properties: is not allowed here (the schema is false)");
}

TEST(JsonSchemaRefTest, LocalReferences) {
  const char* schema = R"({
    "definitions": {"money": {"type": "number", "minimum": 0}},
    "$defs": {"item": {"type": "object", "properties": {"price": {"$ref": "#/definitions/money"}},
                       "required": ["price"]}},
    "type": "object",
    "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
                   "total": {"$ref": "#/definitions/money"},
                   "copy": {"$ref": "#/properties/total"}}})";
  EXPECT_EQ(Validate(schema, R"({"items": [{"price": 1}, {"price": 2.5}], "total": 3.5})"),
            "pass");
  EXPECT_EQ(Validate(schema, R"({"items": [{"price": 1}, {"price": -2}]})"),
            "/items/1/price minimum: must be >= 0");
  EXPECT_EQ(Validate(schema, R"({"items": [{}]})"),
            R"(/items/0 required: missing required property "price")");
  EXPECT_EQ(Validate(schema, R"({"copy": "x"})"),
            R"(/copy type: must be of type "number" (got "string"))");
}

TEST(JsonSchemaRefTest, RecursiveSchemas) {
  const char* tree = R"({"$defs": {"node": {"type": "object", "required": ["value"],
                           "properties": {"value": {"type": "integer"},
                                          "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
                         "$ref": "#/$defs/node"})";
  EXPECT_EQ(Validate(tree, R"({"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]})"),
            "pass");
  EXPECT_EQ(Validate(tree, R"({"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]})"),
            R"(/children/0/children/0/value type: must be of type "integer" (got "string"))");
  EXPECT_EQ(Validate(R"({"properties": {"next": {"$ref": "#"}}, "required": ["id"]})",
                     R"({"id": 1, "next": {"id": 2, "next": {}}})"),
            R"(/next/next required: missing required property "id")");
}

TEST(JsonSchemaRefTest, EscapedReferences) {
  const char* schema = R"({"$defs": {"a b": {"type": "string"}, "c/d": {"type": "number"}},
                           "properties": {"x": {"$ref": "#/$defs/a%20b"},
                                          "y": {"$ref": "#/$defs/c~1d"}}})";
  EXPECT_EQ(Validate(schema, R"({"x": "s", "y": 1})"), "pass");
  EXPECT_EQ(Validate(schema, R"({"x": 1})"), R"(/x type: must be of type "string" (got "integer"))");
  EXPECT_EQ(Validate(schema, R"({"y": "s"})"), R"(/y type: must be of type "number" (got "string"))");
}

TEST(JsonSchemaPathTest, InstancePathsEscapeAsJsonPointers) {
  EXPECT_EQ(Validate(R"({"additionalProperties": {"type": "string"}})", R"({"a/b~c": 1})"),
            R"(/a~1b~0c type: must be of type "string" (got "integer"))");
}

TEST(JsonSchemaTest, KeywordsRunInTheirOrderInTheSchema) {
  EXPECT_EQ(Validate(R"({"minLength": 5, "type": "string"})", R"("ab")"),
            " minLength: must have at least 5 characters");
  EXPECT_EQ(Validate(R"({"type": "string", "minLength": 5})", "1"),
            R"( type: must be of type "string" (got "integer"))");
}

TEST(JsonSchemaTest, AnnotationsAreIgnored) {
  EXPECT_EQ(Validate(R"({"$schema": "http://json-schema.org/draft-07/schema#", "$id": "x",
                        "title": "t", "description": "d", "default": 1, "examples": [1],
                        "$comment": "c", "readOnly": true, "type": "integer"})",
                     "1"),
            "pass");
}

}  // namespace
}  // namespace wg
