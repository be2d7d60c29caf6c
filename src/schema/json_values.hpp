// JSON values as JSON Schema compares them: numbers by value whatever their spelling (1 == 1.0,
// so 1.0 is an integer), objects regardless of member order.
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace wg::schema {

bool JsonEqual(const boost::json::value& a, const boost::json::value& b);
// Equal values have equal hashes (for uniqueItems without comparing every pair).
size_t JsonHash(const boost::json::value& value);

// Both must be numbers: <0, 0, >0. Exact for every int64, uint64 and double.
int CompareNumbers(const boost::json::value& a, const boost::json::value& b);
bool IsInteger(const boost::json::value& value);  // a number without a fractional part

// "null", "boolean", "integer", "number", "string", "array" or "object".
std::string_view SchemaTypeOf(const boost::json::value& value);

// A number as people write it: "1.5", "0.0001", "42" (Boost.JSON would write "1.5E0").
std::string NumberText(const boost::json::value& number);

// The value as compact JSON, cut to `max_chars` with "..." (for messages naming a schema value).
std::string ShortJson(const boost::json::value& value, size_t max_chars = 80);

}  // namespace wg::schema
