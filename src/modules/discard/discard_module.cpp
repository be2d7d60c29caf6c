#include "modules/discard/discard_module.hpp"

#include "config/json_reader.hpp"

namespace wg {
namespace {

class DiscardModule final : public Module {
 public:
  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    co_return *DeliverNow(*delivery);
  }

  std::optional<Outcome> DeliverNow(const Delivery&) override { return Outcome::Delivered(); }
};

}  // namespace

std::unique_ptr<Module> CreateDiscardModule(const ModuleSettings& settings, const ModuleContext&,
                                            ConfigErrors& errors) {
  ObjectReader reader(settings.config, settings.path, errors);
  reader.RejectUnknownKeys("discard module-config");
  return std::make_unique<DiscardModule>();
}

}  // namespace wg
