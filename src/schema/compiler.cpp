#include "schema/compiler.hpp"

#include <fmt/format.h>

#include <boost/url/pct_string_view.hpp>

#include <algorithm>
#include <array>

#include "config/json_reader.hpp"
#include "schema/keywords.hpp"

namespace wg::schema {
namespace json = boost::json;
namespace {

struct Keyword {
  std::string_view name;
  KeywordBuilder build;
};

// The ONE list of keywords that validate. Companions (then, additionalItems, ...) name the same
// builder as their leader: whichever comes first in a schema object builds the joint check.
constexpr Keyword kKeywords[] = {
    {"type", BuildType},
    {"enum", BuildEnum},
    {"const", BuildConst},
    {"multipleOf", BuildMultipleOf},
    {"maximum", BuildBound},
    {"exclusiveMaximum", BuildBound},
    {"minimum", BuildBound},
    {"exclusiveMinimum", BuildBound},
    {"maxLength", BuildCount},
    {"minLength", BuildCount},
    {"pattern", BuildPattern},
    {"format", BuildFormat},
    {"items", BuildItems},
    {"prefixItems", BuildItems},
    {"additionalItems", BuildItems},
    {"maxItems", BuildCount},
    {"minItems", BuildCount},
    {"uniqueItems", BuildUniqueItems},
    {"contains", BuildContains},
    {"minContains", BuildContains},
    {"maxContains", BuildContains},
    {"properties", BuildProperties},
    {"patternProperties", BuildProperties},
    {"additionalProperties", BuildProperties},
    {"required", BuildRequired},
    {"propertyNames", BuildPropertyNames},
    {"maxProperties", BuildCount},
    {"minProperties", BuildCount},
    {"dependencies", BuildDependencies},
    {"dependentRequired", BuildDependencies},
    {"dependentSchemas", BuildDependencies},
    {"allOf", BuildCombination},
    {"anyOf", BuildCombination},
    {"oneOf", BuildCombination},
    {"not", BuildNot},
    {"if", BuildIf},
    {"then", BuildIf},
    {"else", BuildIf},
};

// Keywords that only annotate: accepted and ignored, as the specification says.
constexpr std::array<std::string_view, 15> kAnnotations = {
    "$schema",  "$id",        "$comment",   "$anchor",         "$vocabulary",
    "title",    "description", "default",   "examples",        "readOnly",
    "writeOnly", "deprecated", "contentMediaType", "contentEncoding", "contentSchema"};

// Keywords whose meaning we do not implement: refusing them beats silently accepting payloads.
constexpr std::array<std::string_view, 6> kUnsupported = {
    "unevaluatedProperties", "unevaluatedItems", "$dynamicRef",
    "$dynamicAnchor",        "$recursiveRef",    "$recursiveAnchor"};

// A URI fragment is percent-encoded ("#/$defs/a%20b"); the JSON pointer inside it is not.
std::optional<std::string> PercentDecode(std::string_view text) {
  auto encoded = boost::urls::make_pct_string_view(text);
  if (!encoded) return std::nullopt;
  return encoded->decode();
}

}  // namespace

// A compiled schema and the schemas it applies to the same value (for the cycle check).
struct SchemaCompiler::Compiled {
  SchemaNode* node = nullptr;
  struct Edge {
    const json::value* target;
    std::string path;  // where the edge is written, for the error
  };
  std::vector<Edge> in_place;
};

std::string KeywordInput::PathOf(std::string_view token) const { return JoinPath(path, token); }
std::string KeywordInput::PathOf(size_t index) const { return JoinPath(path, index); }
std::string KeywordInput::SiblingPath(std::string_view keyword) const {
  return JoinPath(std::string_view(path).substr(0, path.rfind('/')), keyword);
}
void KeywordInput::Error(const std::string& at, std::string message) const {
  compiler.Error(at, std::move(message));
}

SchemaCompiler::SchemaCompiler(const json::value& document, std::string path,
                               ConfigErrors& errors)
    : document_(document), root_path_(std::move(path)), errors_(errors) {}

SchemaCompiler::~SchemaCompiler() = default;

void SchemaCompiler::Error(const std::string& path, std::string message) {
  errors_.Add(path, std::move(message));
}

void SchemaCompiler::Warn(const std::string& path, std::string message) {
  errors_.Warn(path, std::move(message));
}

const SchemaNode* SchemaCompiler::CompileRoot(std::vector<std::unique_ptr<SchemaNode>>& nodes) {
  const size_t errors_before = errors_.size();
  SchemaNode* root = Compile(document_, root_path_, "schema");
  ReportInPlaceCycles();
  if (errors_.size() != errors_before) return nullptr;
  nodes = std::move(nodes_);
  return root;
}

const SchemaNode* SchemaCompiler::Subschema(const json::value& schema, const std::string& path,
                                            std::string_view keyword, Applies applies) {
  if (applies == Applies::kInPlace && current_ != nullptr) {
    compiled_.at(current_)->in_place.push_back({&schema, path});
  }
  return Compile(schema, path, keyword);
}

const SchemaNode* SchemaCompiler::Reference(std::string_view ref, const std::string& path) {
  if (!ref.starts_with('#')) {
    Error(path, fmt::format("only references inside this schema (\"#/...\") are supported, got "
                            "\"{}\"; remote references are not fetched", ref));
    return nullptr;
  }
  std::optional<std::string> pointer = PercentDecode(ref.substr(1));
  if (!pointer || (!pointer->empty() && !pointer->starts_with('/'))) {
    Error(path, fmt::format("\"{}\" is not a JSON pointer such as \"#/$defs/name\" (anchors are "
                            "not supported)", ref));
    return nullptr;
  }
  boost::system::error_code ec;
  const json::value* target = document_.find_pointer(*pointer, ec);
  if (target == nullptr) {
    Error(path, fmt::format("\"{}\" points to nothing in this schema", ref));
    return nullptr;
  }
  if (current_ != nullptr) compiled_.at(current_)->in_place.push_back({target, path});
  return Compile(*target, root_path_ + *pointer, "$ref");
}

SchemaNode* SchemaCompiler::Compile(const json::value& schema, const std::string& path,
                                    std::string_view keyword) {
  auto found = compiled_.find(&schema);
  if (found != compiled_.end()) return found->second->node;
  nodes_.push_back(std::make_unique<SchemaNode>(std::string(keyword)));
  SchemaNode* node = nodes_.back().get();
  compiled_.emplace(&schema, std::make_unique<Compiled>(Compiled{node, {}}));
  compile_order_.push_back(&schema);
  if (schema.is_bool()) {
    if (!schema.get_bool()) node->RejectEverything();
  } else if (schema.is_object()) {
    const json::value* outer = current_;
    current_ = &schema;
    CompileKeywords(schema.get_object(), path, *node);
    current_ = outer;
  } else {
    Error(path, fmt::format("must be a schema (an object or a boolean), got {}",
                            JsonKindName(schema)));
  }
  return node;
}

void SchemaCompiler::CompileKeywords(const json::object& schema, const std::string& path,
                                     SchemaNode& node) {
  for (const auto& member : schema) {
    std::string_view name = member.key();
    KeywordInput input{schema, name, member.value(), JoinPath(path, name), *this};
    if (name == "$ref") {
      node.Add(BuildRef(input));
      continue;
    }
    if (name == "definitions" || name == "$defs") {
      // Compiled even when nothing refers to them, so their errors show at start.
      if (!member.value().is_object()) {
        input.Error(fmt::format("must be an object of schemas, got {}",
                                JsonKindName(member.value())));
        continue;
      }
      for (const auto& definition : member.value().get_object()) {
        Subschema(definition.value(), input.PathOf(definition.key()), name,
                  Applies::kNotApplied);
      }
      continue;
    }
    const Keyword* keyword = nullptr;
    for (const auto& candidate : kKeywords) {
      if (candidate.name == name) keyword = &candidate;
    }
    if (keyword != nullptr) {
      if (auto check = keyword->build(input)) node.Add(std::move(check));
    } else if (std::ranges::find(kUnsupported, name) != kUnsupported.end()) {
      input.Error(fmt::format("keyword \"{}\" is not supported", name));
    } else if (std::ranges::find(kAnnotations, name) == kAnnotations.end()) {
      Warn(input.path, fmt::format("unknown keyword \"{}\" is ignored", name));
    }
  }
}

void SchemaCompiler::ReportInPlaceCycles() {
  // Depth-first search; an edge back to a schema still on the path closes a cycle in which a
  // schema applies itself to the same value again and again (e.g. {"$ref": "#"}).
  enum class Mark { kOnPath, kDone };
  std::map<const json::value*, Mark> marks;
  auto visit = [&](auto& self, const json::value* schema) -> void {
    marks[schema] = Mark::kOnPath;
    for (const auto& edge : compiled_.at(schema)->in_place) {
      auto mark = marks.find(edge.target);
      if (mark == marks.end()) {
        self(self, edge.target);
      } else if (mark->second == Mark::kOnPath) {
        Error(edge.path, "the schema refers back to itself without descending into the value "
                         "(an endless $ref cycle)");
      }
    }
    marks[schema] = Mark::kDone;
  };
  for (const json::value* schema : compile_order_) {
    if (!marks.contains(schema)) visit(visit, schema);
  }
}

}  // namespace wg::schema
