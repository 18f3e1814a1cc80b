// SPDX-License-Identifier: Apache-2.0
// For the Windows test files: whether they run under Wine, which differs from
// Windows in a few things tests see (each test says which where it asks).
#ifndef GRANULE_TESTING_WINE_TEST_WINDOWS_H_
#define GRANULE_TESTING_WINE_TEST_WINDOWS_H_

#include <windows.h>

namespace granule::testing {

inline bool RunningUnderWine() {
  return GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version") !=
         nullptr;
}

}  // namespace granule::testing

#endif  // GRANULE_TESTING_WINE_TEST_WINDOWS_H_
