// SPDX-License-Identifier: Apache-2.0
// The caller's descriptor itself, borrowed: pread reads at an offset without
// moving the file position, so nothing needs a descriptor of granule's own,
// and no call is made here. A descriptor open for writing only is named as
// such when its first read fails (file_posix.cc), not checked beforehand.
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "platform/file_os.h"

namespace granule::internal {

absl::StatusOr<DescriptorHandle> HandleForDescriptor(int fd,
                                                     const std::string& name) {
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s': fd %d is not a file descriptor", name, fd));
  }
  return DescriptorHandle{fd, /*owned=*/false};
}

}  // namespace granule::internal
