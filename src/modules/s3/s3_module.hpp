// `s3`: stores each webhook as one object <prefix>/YYYY/MM/DD/HH/<filename> in a bucket, through
// the shared S3 client of an `s3` connection (SigV4, AWS or an S3-compatible `endpoint_url`).
#pragma once

#include <memory>

#include "modules/module.hpp"

namespace wg {

std::unique_ptr<Module> CreateS3Module(const ModuleSettings& settings,
                                       const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
