// The compiled form of a JSON Schema: a graph of SchemaNodes (one per schema object or boolean of
// the document), each holding the checks of its keywords in the order they appear. `$ref` makes
// it a graph, not a tree: a recursive schema points back at a node that is already built.
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wg::schema {

// Where in the payload a check looks: a chain of frames on the stack, turned into a JSON pointer
// only when something fails, so a passing payload costs no allocation for paths.
struct InstanceLocation {
  const InstanceLocation* parent = nullptr;
  std::string_view key;  // an object member, or empty for an array item / the root
  size_t index = 0;
  bool is_index = false;

  InstanceLocation Member(std::string_view name) const { return {this, name, 0, false}; }
  InstanceLocation Item(size_t position) const { return {this, {}, position, true}; }
  std::string Pointer() const;  // "" for the root, "/items/0/price" below it
};

// The first failure: where in the payload, which keyword, and what was expected.
struct Violation {
  std::string instance_path;
  std::string keyword;
  std::string message;
};

// State of one validation run. Nested evaluations are counted so that a schema that recurses
// through `$ref` cannot exhaust the stack, whatever the payload.
class Evaluation {
 public:
  static constexpr size_t kMaxDepth = 512;
  bool Enter() { return ++depth_ <= kMaxDepth; }
  void Leave() { --depth_; }

 private:
  size_t depth_ = 0;
};

class Check {
 public:
  virtual ~Check() = default;
  virtual std::optional<Violation> Validate(const boost::json::value& instance,
                                            const InstanceLocation& at,
                                            Evaluation& evaluation) const = 0;
};

class SchemaNode {
 public:
  // `keyword` is the keyword this schema first appeared under ("items", "additionalProperties",
  // or "schema" for the root): a `false` schema reports its failure under that name.
  explicit SchemaNode(std::string keyword) : keyword_(std::move(keyword)) {}

  void RejectEverything() { reject_all_ = true; }
  void Add(std::unique_ptr<Check> check) { checks_.push_back(std::move(check)); }

  std::optional<Violation> Validate(const boost::json::value& instance, const InstanceLocation& at,
                                    Evaluation& evaluation) const;
  bool Accepts(const boost::json::value& instance, const InstanceLocation& at,
               Evaluation& evaluation) const {
    return !Validate(instance, at, evaluation);
  }

 private:
  std::string keyword_;
  bool reject_all_ = false;
  std::vector<std::unique_ptr<Check>> checks_;
};

Violation Fail(const InstanceLocation& at, std::string_view keyword, std::string message);

}  // namespace wg::schema
