#include "schema/format.hpp"

#include <arpa/inet.h>
#include <boost/url/parse.hpp>

#include <array>
#include <cstddef>

namespace wg::schema {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Reads exactly `count` digits at `pos` as a number; -1 if they are not all digits.
int Digits(std::string_view text, size_t pos, size_t count) {
  if (pos + count > text.size()) return -1;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (!IsDigit(text[i])) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// RFC 3339 full-date: YYYY-MM-DD with a day that exists in that month.
bool IsDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  int year = Digits(text, 0, 4);
  int month = Digits(text, 5, 2);
  int day = Digits(text, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int last = kDays[static_cast<size_t>(month - 1)] + (month == 2 && IsLeapYear(year) ? 1 : 0);
  return day <= last;
}

// RFC 3339 full-time: HH:MM:SS[.frac] then Z or +HH:MM / -HH:MM (the offset is required).
bool IsTime(std::string_view text) {
  if (text.size() < 9 || text[2] != ':' || text[5] != ':') return false;
  int hour = Digits(text, 0, 2);
  int minute = Digits(text, 3, 2);
  int second = Digits(text, 6, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return false;  // 60: a leap second
  }
  size_t pos = 8;
  if (pos < text.size() && text[pos] == '.') {
    size_t start = ++pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    if (pos == start) return false;
  }
  std::string_view offset = text.substr(pos);
  if (offset == "Z" || offset == "z") return true;
  if (offset.size() != 6 || (offset[0] != '+' && offset[0] != '-') || offset[3] != ':') {
    return false;
  }
  int offset_hour = Digits(offset, 1, 2);
  int offset_minute = Digits(offset, 4, 2);
  return offset_hour >= 0 && offset_hour <= 23 && offset_minute >= 0 && offset_minute <= 59;
}

bool IsDateTime(std::string_view text) {
  if (text.size() < 11 || (text[10] != 'T' && text[10] != 't')) return false;
  return IsDate(text.substr(0, 10)) && IsTime(text.substr(11));
}

bool IsIpv4(std::string_view text) {
  size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= text.size() || text[pos] != '.') return false;
      ++pos;
    }
    size_t start = pos;
    int value = 0;
    while (pos < text.size() && IsDigit(text[pos]) && pos - start < 3) {
      value = value * 10 + (text[pos++] - '0');
    }
    size_t length = pos - start;
    if (length == 0 || value > 255 || (length > 1 && text[start] == '0')) return false;
  }
  return pos == text.size();
}

bool IsIpv6(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return false;
  char buffer[INET6_ADDRSTRLEN] = {};
  text.copy(buffer, text.size());
  unsigned char address[16];
  return inet_pton(AF_INET6, buffer, address) == 1;
}

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
bool IsHostname(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t end = text.find('.', start);
    std::string_view label = text.substr(start, end == std::string_view::npos ? end : end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsAlnum(c) && c != '-') return false;
    }
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

// RFC 5321 mailbox: a dot-atom local part and a host name or an [IP literal].
bool IsEmail(std::string_view text) {
  size_t at = text.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  std::string_view local = text.substr(0, at);
  std::string_view domain = text.substr(at + 1);
  constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  if (local.front() == '.' || local.back() == '.') return false;
  for (size_t i = 0; i < local.size(); ++i) {
    char c = local[i];
    if (c == '.' && local[i - 1] == '.') return false;
    if (!IsAlnum(c) && c != '.' && kSpecials.find(c) == std::string_view::npos) return false;
  }
  if (domain.size() > 2 && domain.front() == '[' && domain.back() == ']') {
    std::string_view literal = domain.substr(1, domain.size() - 2);
    if (literal.starts_with("IPv6:")) return IsIpv6(literal.substr(5));
    return IsIpv4(literal);
  }
  return IsHostname(domain);
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !IsHex(text[i])) return false;
  }
  return true;
}

struct Format {
  std::string_view name;
  bool (*matches)(std::string_view text);
};

constexpr std::array<Format, 10> kFormats = {{
    {"date-time", IsDateTime},
    {"date", IsDate},
    {"time", IsTime},
    {"email", IsEmail},
    {"hostname", IsHostname},
    {"ipv4", IsIpv4},
    {"ipv6", IsIpv6},
    {"uri", [](std::string_view text) { return boost::urls::parse_uri(text).has_value(); }},
    {"uri-reference",
     [](std::string_view text) { return boost::urls::parse_uri_reference(text).has_value(); }},
    {"uuid", IsUuid},
}};

}  // namespace

bool IsCheckedFormat(std::string_view format) {
  for (const auto& known : kFormats) {
    if (known.name == format) return true;
  }
  return false;
}

bool MatchesFormat(std::string_view format, std::string_view text) {
  for (const auto& known : kFormats) {
    if (known.name == format) return known.matches(text);
  }
  return true;
}

}  // namespace wg::schema
