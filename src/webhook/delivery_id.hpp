// Delivery ids: UUID version 7 (time-ordered, so ids sort by arrival; random low bits).
#pragma once

#include <string>

namespace wg {

std::string NewDeliveryId();

}  // namespace wg
