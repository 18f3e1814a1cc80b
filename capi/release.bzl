# SPDX-License-Identifier: Apache-2.0
"""release_files: targets built as a release ships them, whatever the command line says.

Two settings change:
- the compilation mode is `opt`: `bazel run //capi:install` would otherwise
  install whatever the caller's mode built, which is fastbuild (-O0) by
  default;
- Abseil is compiled from Debian's source (`--//third_party:abseil=source`) and
  linked in, hidden behind the library's version script: a C program that
  loads libgranule.so then loads one library, not the 35 shared Abseil
  libraries that libabsl-dev splits Abseil into, whose loading and
  relocation cost a small runtime's start-up more than all of its images.
"""

def _release_impl(settings, attr):
    return {
        "//command_line_option:compilation_mode": "opt",
        "//third_party:abseil": "source",
    }

_release = transition(
    implementation = _release_impl,
    inputs = [],
    outputs = [
        "//command_line_option:compilation_mode",
        "//third_party:abseil",
    ],
)

def _release_files_impl(ctx):
    files = depset(transitive = [src[DefaultInfo].files for src in ctx.attr.srcs])
    runfiles = ctx.runfiles(transitive_files = files)
    for src in ctx.attr.srcs:
        runfiles = runfiles.merge(src[DefaultInfo].default_runfiles)
    return [DefaultInfo(files = files, runfiles = runfiles)]

release_files = rule(
    implementation = _release_files_impl,
    attrs = {
        "srcs": attr.label_list(cfg = _release),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)

# Link options for a shared library a C program loads (libgranule.so, the
# Guile preload): libstdc++ and libgcc's unwinder linked in, so that the
# library needs only libc and libm. A C runtime does not load libstdc++
# itself, and loading it was a tenth of Guile's start-up; the library's
# version script keeps every C++ symbol local, so a process that has its
# own libstdc++ sees no clash. --as-needed drops the shared libstdc++ that
# the toolchain names after these options.
SELF_CONTAINED_LINKOPTS = [
    "-Wl,-Bstatic",
    "-lstdc++",
    "-Wl,-Bdynamic",
    "-static-libgcc",
    "-Wl,--as-needed",
]

# target_compatible_with for what only the host's plain build makes: the
# release files, the programs that load them, and their tests. Cross and
# Windows builds (Abseil from source on the command line) link statically
# and make no shared library; a sanitizer build's library needs the
# sanitizer's runtime from the program that loads it.
HOST_PLAIN_BUILD_ONLY = select({
    "//third_party:abseil_from_source": ["//capi:plain_host_build_present"],
    "//capi:sanitizer_build": ["//capi:plain_host_build_present"],
    "//conditions:default": [],
})

# target_compatible_with for a shared library built through release_files,
# whose transition itself sets Abseil from source: only a sanitizer build
# rules it out.
NO_SANITIZER_BUILD = select({
    "//capi:sanitizer_build": ["//capi:plain_host_build_present"],
    "//conditions:default": [],
})
