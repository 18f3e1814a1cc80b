// SPDX-License-Identifier: Apache-2.0
// The one way granule passes an error up unchanged. Where an error gains
// context (the file's path, the entry at fault) the code says so explicitly
// and returns its own status; everywhere else an absl::Status or the status
// of an absl::StatusOr goes up through these two macros, not a hand-written
// `if (!s.ok()) return s;` of its own.
#ifndef GRANULE_PLATFORM_STATUS_MACROS_H_
#define GRANULE_PLATFORM_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status, or anything that converts to one) once,
// and returns it from the enclosing function if it is not ok:
//
//   GRANULE_RETURN_IF_ERROR(file.ReadAt(0, absl::MakeSpan(bytes)));
//
// One statement: safe as the unbraced body of an if or else.
#define GRANULE_RETURN_IF_ERROR(...)      \
  GRANULE_STATUS_MACROS_RETURN_IF_ERROR_( \
      GRANULE_STATUS_MACROS_CONCAT_(granule_status_, __LINE__), __VA_ARGS__)

// Evaluates `expr` (an absl::StatusOr<T>) once; returns its status from the
// enclosing function if it is not ok, else move-assigns its value to `lhs`,
// which may declare a variable or name an existing one:
//
//   GRANULE_ASSIGN_OR_RETURN(ElfImage elf, ReadElfImage(file));
//   GRANULE_ASSIGN_OR_RETURN(relocations, ResolveRelocations(spec, layout));
//
// It expands to several statements, since a variable it declares must live
// in the enclosing scope: as the unbraced body of an if or else it does not
// compile (use braces). `lhs` may not hold a comma outside parentheses
// (`std::map<K, V> m`): name such a type first. One use per line.
#define GRANULE_ASSIGN_OR_RETURN(lhs, ...)                             \
  GRANULE_STATUS_MACROS_ASSIGN_OR_RETURN_(                             \
      GRANULE_STATUS_MACROS_CONCAT_(granule_statusor_, __LINE__), lhs, \
      __VA_ARGS__)

// Implementation details. Each local's name carries its line number, so uses
// on successive lines, and uses inside a lambda in `expr`, never clash.

#define GRANULE_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define GRANULE_STATUS_MACROS_CONCAT_(a, b) \
  GRANULE_STATUS_MACROS_CONCAT_INNER_(a, b)

#define GRANULE_STATUS_MACROS_RETURN_IF_ERROR_(var, ...) \
  do {                                                   \
    ::absl::Status var = (__VA_ARGS__);                  \
    if (!var.ok()) return var;                           \
  } while (0)

#define GRANULE_STATUS_MACROS_ASSIGN_OR_RETURN_(var, lhs, ...) \
  auto var = (__VA_ARGS__);                                    \
  if (!var.ok()) return std::move(var).status();               \
  lhs = *std::move(var)

#endif  // GRANULE_PLATFORM_STATUS_MACROS_H_
