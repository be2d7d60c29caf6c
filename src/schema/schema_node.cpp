#include "schema/schema_node.hpp"

#include <vector>

#include "config/json_reader.hpp"

namespace wg::schema {

std::string InstanceLocation::Pointer() const {
  std::vector<const InstanceLocation*> frames;
  for (const InstanceLocation* frame = this; frame->parent != nullptr; frame = frame->parent) {
    frames.push_back(frame);
  }
  std::string pointer;
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    pointer = (*it)->is_index ? JoinPath(pointer, (*it)->index) : JoinPath(pointer, (*it)->key);
  }
  return pointer;
}

Violation Fail(const InstanceLocation& at, std::string_view keyword, std::string message) {
  return Violation{at.Pointer(), std::string(keyword), std::move(message)};
}

std::optional<Violation> SchemaNode::Validate(const boost::json::value& instance,
                                              const InstanceLocation& at,
                                              Evaluation& evaluation) const {
  if (reject_all_) return Fail(at, keyword_, "is not allowed here (the schema is false)");
  if (!evaluation.Enter()) {
    evaluation.Leave();
    return Fail(at, "$ref", "the schema recurses too deeply");
  }
  std::optional<Violation> violation;
  for (const auto& check : checks_) {
    violation = check->Validate(instance, at, evaluation);
    if (violation) break;
  }
  evaluation.Leave();
  return violation;
}

}  // namespace wg::schema
