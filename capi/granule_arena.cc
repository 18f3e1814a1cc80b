// SPDX-License-Identifier: Apache-2.0
// granule_arena: an AddressArena over this machine's shared-path backend,
// held by the caller and by every image carved from it.
#include <memory>

#include "absl/status/status.h"
#include "capi/capi_internal.h"
#include "capi/granule.h"
#include "platform/memory/address_arena.h"
#include "platform/memory/memory_backend.h"
#include "platform/status_macros.h"

extern "C" {

granule_status granule_arena_new(granule_arena** arena) {
  const char* const function = __func__;
  if (arena == nullptr) return granule::capi::NullArgument(function, "arena");
  *arena = nullptr;
  return granule::capi::Guard(function, [&]() -> absl::Status {
    GRANULE_ASSIGN_OR_RETURN(granule::MemoryBackend * host,
                             granule::HostMemoryBackend());
    *arena = new granule_arena{granule::AddressArena::Create(*host)};
    return absl::OkStatus();
  });
}

void granule_arena_release(granule_arena* arena) { delete arena; }

granule_status granule_arena_usage_get(const granule_arena* arena,
                                       granule_arena_usage* usage) {
  const char* const function = __func__;
  if (arena == nullptr) return granule::capi::NullArgument(function, "arena");
  if (usage == nullptr) return granule::capi::NullArgument(function, "usage");
  const granule::AddressArena::Usage u = arena->arena->usage();
  usage->reserved_bytes = u.reserved_bytes;
  usage->used_bytes = u.slot_bytes;
  usage->live_images = u.live_slots;
  return GRANULE_OK;
}

}  // extern "C"
