#include "config/env_substitution.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace wg {
namespace json = boost::json;
namespace {

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

void Walk(json::value& value, const std::string& path, const EnvLookup& lookup,
          ConfigErrors& errors, int depth) {
  if (depth > 100) {
    errors.Add(path, "nesting deeper than 100 levels");
    return;
  }
  switch (value.kind()) {
    case json::kind::string: {
      std::string_view view = value.get_string();
      if (view.find("{$") == std::string_view::npos) return;
      std::string text(view);
      SubstituteString(text, lookup, path, errors);
      value = json::string(text);
      return;
    }
    case json::kind::object:
      for (auto& member : value.get_object()) {
        Walk(member.value(), JoinPath(path, member.key()), lookup, errors, depth + 1);
      }
      return;
    case json::kind::array: {
      auto& array = value.get_array();
      for (size_t i = 0; i < array.size(); ++i) {
        Walk(array[i], JoinPath(path, i), lookup, errors, depth + 1);
      }
      return;
    }
    default:
      return;
  }
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

bool SubstituteString(std::string& text, const EnvLookup& lookup, const std::string& path,
                      ConfigErrors& errors) {
  std::string out;
  out.reserve(text.size());
  bool ok = true;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = text.find("{$", i);
    if (start == std::string::npos) {
      out.append(text, i, std::string::npos);
      break;
    }
    out.append(text, i, start - i);
    size_t name_begin = start + 2;
    size_t name_end = name_begin;
    while (name_end < text.size() && IsWordChar(text[name_end])) ++name_end;
    if (name_end == name_begin || name_end >= text.size() ||
        (text[name_end] != '}' && text[name_end] != ':')) {
      // Not a reference ("{$" followed by something else): keep it literally.
      out.append(text, start, name_end - start);
      i = name_end;
      continue;
    }
    std::string name = text.substr(name_begin, name_end - name_begin);
    std::optional<std::string> fallback;
    size_t close = name_end;
    if (text[name_end] == ':') {
      close = text.find('}', name_end);
      if (close == std::string::npos) {
        out.append(text, start, std::string::npos);
        break;
      }
      fallback = text.substr(name_end + 1, close - name_end - 1);
    }
    if (name == "vault" && fallback) {
      errors.Add(path, "{$vault:...} references are not supported yet; use an environment variable");
      ok = false;
    } else if (auto value = lookup(name)) {
      out += *value;
    } else if (fallback) {
      out += *fallback;
    } else {
      errors.Add(path, fmt::format("environment variable {} is not set and has no default "
                                   "(write {{${}:default}} to give one)", name, name));
      ok = false;
    }
    i = close + 1;
  }
  text = std::move(out);
  return ok;
}

void SubstituteEnvironment(json::value& document, const EnvLookup& lookup,
                           ConfigErrors& errors) {
  Walk(document, "", lookup, errors, 0);
}

}  // namespace wg
