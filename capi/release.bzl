# SPDX-License-Identifier: Apache-2.0
"""release_files: targets built optimised (-c opt), whatever the command line says.

`bazel run //capi:install` would otherwise install whatever the caller's
compilation mode built, which is fastbuild (-O0) by default.
"""

def _optimised_impl(settings, attr):
    return {"//command_line_option:compilation_mode": "opt"}

_optimised = transition(
    implementation = _optimised_impl,
    inputs = [],
    outputs = ["//command_line_option:compilation_mode"],
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
        "srcs": attr.label_list(cfg = _optimised),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
