# SPDX-License-Identifier: Apache-2.0
"""Debian's compilers as Bazel C++ toolchains (legacy crosstool_top): the cross gcc
for other architectures and clang for the sanitizers."""

load("@bazel_tools//tools/cpp:unix_cc_toolchain_config.bzl", unix_cc_toolchain_config = "cc_toolchain_config")

def debian_cross_gcc(name, cpu, triplet, static = True):
    """A toolchain for /usr/bin/<triplet>-gcc, linking statically.

    Static binaries run under qemu-user without a sysroot and in the
    one-file-system initramfs of testing/vm/ without a dynamic loader.
    With static = False (compiler "gcc-dynamic"), links as the target's own
    toolchain would, for shared libraries that a program of the target's
    distribution loads (the Guile preload in the 64 KiB VM).
    """
    unix_cc_toolchain_config(
        name = name + "_config",
        cpu = cpu,
        compiler = "gcc" if static else "gcc-dynamic",
        toolchain_identifier = name,
        host_system_name = "x86_64-linux-gnu",
        target_system_name = triplet,
        target_libc = "glibc",
        abi_version = "gcc",
        abi_libc_version = "glibc",
        cxx_builtin_include_directories = [
            "/usr/lib/gcc-cross/%s/12/include" % triplet,
            "/usr/%s/include" % triplet,
            "/usr/include",
        ],
        tool_paths = dict(
            [
                (tool, "/usr/bin/%s-%s" % (triplet, tool))
                for tool in ["ar", "cpp", "gcc", "gcov", "ld", "nm", "objcopy", "objdump", "strip"]
            ],
            # Coverage with LLVM tools is not offered for cross builds.
            **{"llvm-cov": "/bin/false"}
        ),
        compile_flags = [
            "-fstack-protector",
            "-Wall",
            "-fno-omit-frame-pointer",
        ],
        opt_compile_flags = ["-O2", "-DNDEBUG", "-ffunction-sections", "-fdata-sections"],
        dbg_compile_flags = ["-g"],
        cxx_flags = ["-std=c++17"],
        link_flags = ["-static", "-pthread"] if static else ["-pthread"],
        link_libs = ["-lstdc++", "-lm"],
        opt_link_flags = ["-Wl,--gc-sections"],
        unfiltered_compile_flags = [
            "-no-canonical-prefixes",
            "-fno-canonical-system-headers",
            "-Wno-builtin-macro-redefined",
            "-D__DATE__=\"redacted\"",
            "-D__TIMESTAMP__=\"redacted\"",
            "-D__TIME__=\"redacted\"",
        ],
        coverage_compile_flags = ["--coverage"],
        coverage_link_flags = ["--coverage"],
        supports_start_end_lib = False,
    )
    native.cc_toolchain(
        name = name,
        all_files = ":empty",
        ar_files = ":empty",
        as_files = ":empty",
        compiler_files = ":empty",
        dwp_files = ":empty",
        linker_files = ":empty",
        objcopy_files = ":empty",
        strip_files = ":empty",
        supports_param_files = 1,
        toolchain_config = ":" + name + "_config",
        toolchain_identifier = name,
    )

def debian_clang(name, version):
    """Debian's clang-<version> for this machine (x86_64), for the sanitizers.

    Links dynamically against the host's libraries, as the default toolchain
    does; the sanitizer runtimes come from libclang-rt-<version>-dev.
    """
    llvm = "/usr/lib/llvm-%s" % version
    unix_cc_toolchain_config(
        name = name + "_config",
        cpu = "k8",
        compiler = "clang",
        toolchain_identifier = name,
        host_system_name = "x86_64-linux-gnu",
        target_system_name = "x86_64-linux-gnu",
        target_libc = "glibc",
        abi_version = "clang",
        abi_libc_version = "glibc",
        cxx_builtin_include_directories = [
            "/usr/include",
            "/usr/local/include",
            "/usr/lib/gcc/x86_64-linux-gnu/12",
            "%s/lib/clang" % llvm,
        ],
        tool_paths = {
            "ar": "/usr/bin/ar",
            "cpp": "%s/bin/clang-cpp" % llvm,
            "gcc": "%s/bin/clang" % llvm,
            "gcov": "/bin/false",
            "ld": "/usr/bin/ld",
            "llvm-cov": "%s/bin/llvm-cov" % llvm,
            "nm": "/usr/bin/nm",
            "objcopy": "/usr/bin/objcopy",
            "objdump": "/usr/bin/objdump",
            "strip": "/usr/bin/strip",
        },
        compile_flags = [
            "-fstack-protector",
            "-Wall",
            "-fno-omit-frame-pointer",
        ],
        opt_compile_flags = ["-O2", "-DNDEBUG"],
        dbg_compile_flags = ["-g"],
        cxx_flags = ["-std=c++17"],
        link_flags = ["-fuse-ld=bfd", "-pthread"],
        link_libs = ["-lstdc++", "-lm"],
        unfiltered_compile_flags = [
            "-no-canonical-prefixes",
            "-Wno-builtin-macro-redefined",
            "-D__DATE__=\"redacted\"",
            "-D__TIMESTAMP__=\"redacted\"",
            "-D__TIME__=\"redacted\"",
        ],
        coverage_compile_flags = ["--coverage"],
        coverage_link_flags = ["--coverage"],
        supports_start_end_lib = False,
    )
    native.cc_toolchain(
        name = name,
        all_files = ":empty",
        ar_files = ":empty",
        as_files = ":empty",
        compiler_files = ":empty",
        dwp_files = ":empty",
        linker_files = ":empty",
        objcopy_files = ":empty",
        strip_files = ":empty",
        supports_param_files = 1,
        toolchain_config = ":" + name + "_config",
        toolchain_identifier = name,
    )
