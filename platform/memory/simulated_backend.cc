// SPDX-License-Identifier: Apache-2.0
#include "platform/memory/simulated_backend.h"

namespace granule {

const BackendTraits& SimulatedBackend::traits() const {
  // The strictest combination: nothing a real backend might lack is assumed.
  static constexpr BackendTraits kTraits = {
      /*name=*/"simulated",
      /*can_release_partially=*/false,
      /*enforces_protection=*/false,
      /*shares_file_pages=*/false,
      /*carves_reservations=*/true,
  };
  return kTraits;
}

}  // namespace granule
