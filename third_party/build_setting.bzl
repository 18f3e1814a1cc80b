# SPDX-License-Identifier: Apache-2.0
"""string_setting: a string build setting set on the command line (--//pkg:name=value).

Bazel 4.2.3 without bazel-skylib: a transition can set a build setting but
not --define, and the release transition (//capi:release.bzl) sets where
Abseil comes from.
"""

def _string_setting_impl(ctx):
    value = ctx.build_setting_value
    if value not in ctx.attr.values:
        fail("%s: %r is not one of %s" % (ctx.label, value, ctx.attr.values))
    return []

string_setting = rule(
    implementation = _string_setting_impl,
    build_setting = config.string(flag = True),
    attrs = {"values": attr.string_list(mandatory = True)},
)
