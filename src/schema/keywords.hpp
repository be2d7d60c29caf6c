// The keyword builders: each turns one keyword of a schema object into a Check (or reports a
// config error and returns null). The ONE list of keywords is in compiler.cpp; the builders live
// in one file per kind of value they check.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/compiler.hpp"
#include "schema/pattern.hpp"
#include "schema/schema_node.hpp"

namespace wg::schema {

using KeywordBuilder = std::unique_ptr<Check> (*)(const KeywordInput& input);

// any_keywords.cpp
std::unique_ptr<Check> BuildType(const KeywordInput& input);
std::unique_ptr<Check> BuildEnum(const KeywordInput& input);
std::unique_ptr<Check> BuildConst(const KeywordInput& input);

// number_keywords.cpp
std::unique_ptr<Check> BuildMultipleOf(const KeywordInput& input);
std::unique_ptr<Check> BuildBound(const KeywordInput& input);  // minimum, exclusiveMaximum, ...

// count_keywords.cpp: maxLength, minLength, maxItems, minItems, maxProperties, minProperties
std::unique_ptr<Check> BuildCount(const KeywordInput& input);

// string_keywords.cpp
std::unique_ptr<Check> BuildPattern(const KeywordInput& input);
std::unique_ptr<Check> BuildFormat(const KeywordInput& input);

// array_keywords.cpp
std::unique_ptr<Check> BuildItems(const KeywordInput& input);  // + prefixItems, additionalItems
std::unique_ptr<Check> BuildUniqueItems(const KeywordInput& input);
std::unique_ptr<Check> BuildContains(const KeywordInput& input);  // + minContains, maxContains

// object_keywords.cpp
std::unique_ptr<Check> BuildProperties(const KeywordInput& input);  // + pattern/additional
std::unique_ptr<Check> BuildRequired(const KeywordInput& input);
std::unique_ptr<Check> BuildPropertyNames(const KeywordInput& input);
std::unique_ptr<Check> BuildDependencies(const KeywordInput& input);  // + dependentRequired/Schemas

// logic_keywords.cpp
std::unique_ptr<Check> BuildCombination(const KeywordInput& input);  // allOf, anyOf, oneOf
std::unique_ptr<Check> BuildNot(const KeywordInput& input);
std::unique_ptr<Check> BuildIf(const KeywordInput& input);  // + then, else
std::unique_ptr<Check> BuildRef(const KeywordInput& input);

// Helpers for builders (keywords.cpp, CompilePattern in string_keywords.cpp).

// Several keywords that work together (items + additionalItems, if + then + else) become one
// check, built by whichever of them comes first in the schema object.
bool IsFirstOf(const KeywordInput& input, std::initializer_list<std::string_view> group);
// A count such as minLength: a non-negative integer (2.0 counts as 2), or an error.
std::optional<size_t> NonNegativeInteger(const KeywordInput& input);
// The subschemas of allOf / anyOf / oneOf: a non-empty array of schemas, or an error.
std::vector<const SchemaNode*> SchemaArray(const KeywordInput& input, Applies applies);
// The regular expression `source` (of pattern or patternProperties), or an error at `path`.
std::optional<Pattern> CompilePattern(const KeywordInput& input, const boost::json::value& source,
                                      const std::string& path);
// The subschema under a companion keyword of `input` (e.g. "then" next to "if"); null if absent.
const SchemaNode* CompanionSchema(const KeywordInput& input, std::string_view name,
                                  Applies applies);

}  // namespace wg::schema
