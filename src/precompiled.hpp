// Heavy third-party headers compiled once per build instead of once per file.
#pragma once
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
