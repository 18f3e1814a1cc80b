# SPDX-License-Identifier: Apache-2.0
"""A libFuzzer target and the test that replays its seeds and regressions."""

def granule_fuzz_target(name, srcs, deps):
    """Defines `name` (the fuzzer) and `name`_replay_test.

    With --config=fuzz (--define=granule_fuzz=libfuzzer) `name` links
    libFuzzer's main; otherwise replay_main.cc's, which runs the files named.
    The replay test runs the seeds and testing/fuzz/regressions/`name`/.
    """
    native.cc_binary(
        name = name,
        srcs = srcs + select({
            ":libfuzzer": [],
            "//conditions:default": ["replay_main.cc"],
        }),
        linkopts = select({
            ":libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        target_compatible_with = LINUX_ONLY,
        deps = deps + [":fuzz_checks"],
    )
    regressions = native.glob(["regressions/%s/**" % name])
    native.cc_test(
        name = name + "_replay_test",
        size = "small",
        srcs = srcs + ["replay_test.cc"],
        args = ["testing/fuzz/regressions/" + name],
        data = regressions,
        target_compatible_with = LINUX_ONLY,
        deps = [d for d in deps if d != "//loader/elf"] + [
            ":fuzz_checks",
            ":seeds",
            "//loader/elf",
            "//third_party:gtest",
        ],
    )

# The input file is a memfd and the seeds include Debian's Guile files: not
# in Windows builds (see //testing:linux_host_tools).
LINUX_ONLY = select({
    "//platform:windows": ["//testing:linux_host_tools_present"],
    "//conditions:default": [],
})
