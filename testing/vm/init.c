/* SPDX-License-Identifier: Apache-2.0 */
// /init of the test VM's initramfs (see testing/vm/README.md).
//
// It runs as PID 1 on a real kernel: mounts what tests need, reports the page
// size the kernel really uses, proves the kernel enforces it, runs every
// binary in /tests in name order and powers the machine off. The runner
// parses the lines that start with "granule-vm: ", so their format is fixed:
//   granule-vm: kernel <release> <machine>
//   granule-vm: page-size getpagesize=<n> at_pagesz=<n>
//   granule-vm: probe <name> <EINVAL|ok|errno name>
//   granule-vm: begin <name>
//   granule-vm: <name> exit <status> | <name> signal <n> | <name> exec-failed
//   <errno> granule-vm: done <count>
// Static C, no libc beyond what a cross gcc -static gives: it must not depend
// on anything the initramfs does not hold.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kMaxTestArgs = 64, kSmallestPage = 4096 };

static void Report(const char* format, ...) {
  va_list args;
  va_start(args, format);
  printf("granule-vm: ");
  vprintf(format, args);
  printf("\n");
  va_end(args);
  // Children write to the same console: our lines must not wait in a buffer.
  fflush(stdout);
}

// A name without spaces ("EINVAL"), so the runner can take it as one field.
static const char* ErrnoName(int error) {
  const char* name = strerrorname_np(error);
  return name != NULL ? name : "EUNKNOWN";
}

static void PowerOff(void) {
  sync();
  reboot(RB_POWER_OFF);
  // Only reached if the kernel refused: exiting PID 1 panics, and with
  // panic=-1 and QEMU's -no-reboot that also ends the VM.
  Report("reboot failed: %s", strerror(errno));
  exit(1);
}

static void MountOrReport(const char* type, const char* target) {
  mkdir(target, 0755);
  if (mount(type, target, type, 0, NULL) != 0) {
    Report("mount %s on %s failed: %s", type, target, strerror(errno));
  }
}

// The kernel gives PID 1 the console only if /dev/console is in the archive;
// the archive is built without device nodes (no root needed), so take it from
// devtmpfs instead.
static void UseConsole(void) {
  int fd = open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return;  // Nowhere to report it either.
  for (int std_fd = 0; std_fd <= 2; ++std_fd) dup2(fd, std_fd);
  if (fd > 2) close(fd);
  setvbuf(stdout, NULL, _IOLBF, 0);
}

static void ReportKernel(void) {
  struct utsname name;
  if (uname(&name) == 0) {
    Report("kernel %s %s", name.release, name.machine);
  } else {
    Report("kernel unknown %s", strerror(errno));
  }
  Report("page-size getpagesize=%d at_pagesz=%lu", getpagesize(),
         getauxval(AT_PAGESZ));
}

// Calls `operation` on the address 4 KiB into a fresh two-page mapping: on a
// kernel with pages larger than 4 KiB that address is not page-aligned and
// must be refused with EINVAL. Prints "ok" when the kernel accepts it.
static void Probe(const char* name, int (*operation)(char* address)) {
  size_t page = (size_t)getpagesize();
  char* base = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    Report("probe %s mmap-failed-%s", name, ErrnoName(errno));
    return;
  }
  int result = operation(base + kSmallestPage);
  Report("probe %s %s", name, result == 0 ? "ok" : ErrnoName(errno));
  munmap(base, 2 * page);
}

static int MprotectAt(char* address) {
  return mprotect(address, kSmallestPage, PROT_READ);
}

static int MapFixedAt(char* address) {
  void* mapped = mmap(address, kSmallestPage, PROT_READ,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  return mapped == MAP_FAILED ? -1 : 0;
}

// /granule-vm.args holds extra arguments for every test, one per line.
static int ReadTestArgs(char** args, int capacity) {
  FILE* file = fopen("/granule-vm.args", "r");
  if (file == NULL) return 0;
  int count = 0;
  char line[4096];
  while (count < capacity && fgets(line, sizeof line, file) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    args[count++] = strdup(line);
  }
  fclose(file);
  return count;
}

static int RemoveEntry(const char* path, const struct stat* info, int type,
                       struct FTW* ftw) {
  (void)info, (void)type, (void)ftw;
  return remove(path) == 0 ? 0 : -1;
}

// /tmp is the VM's memory: what one test leaves there (Bazel removes a
// test's TEST_TMPDIR too) must not starve the binaries after it, whose pages
// the kernel would then fail to fault in (SIGBUS).
static void RemoveTree(const char* path) {
  nftw(path, RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

static void RunTest(const char* name, char** test_args, int test_arg_count) {
  char path[512], tmpdir[512], tmpdir_env[600], tmp_env[600];
  snprintf(path, sizeof path, "/tests/%s", name);
  snprintf(tmpdir, sizeof tmpdir, "/tmp/%s", name);
  snprintf(tmpdir_env, sizeof tmpdir_env, "TEST_TMPDIR=%s", tmpdir);
  snprintf(tmp_env, sizeof tmp_env, "TMPDIR=%s", tmpdir);
  mkdir(tmpdir, 0755);
  Report("begin %s", name);
  pid_t child = fork();
  if (child == 0) {
    char* argv[kMaxTestArgs + 2];
    argv[0] = path;
    for (int i = 0; i < test_arg_count; ++i) argv[i + 1] = test_args[i];
    argv[test_arg_count + 1] = NULL;
    // The kernel hands PID 1 TERM=linux, which makes gtest colour its output:
    // give tests a plain, known environment instead.
    char* envp[] = {tmpdir_env,    tmp_env,          "HOME=/tmp",
                    "PATH=/tests", "GTEST_COLOR=no", NULL};
    if (chdir(tmpdir) != 0) _exit(126);
    execve(path, argv, envp);
    // 127 alone would look like a test's own exit status: say it here.
    Report("%s exec-failed %s", name, ErrnoName(errno));
    _exit(127);
  }
  if (child < 0) {
    Report("%s fork-failed %s", name, ErrnoName(errno));
    return;
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    Report("%s signal %d", name, WTERMSIG(status));
  } else {
    Report("%s exit %d", name, WEXITSTATUS(status));
  }
  RemoveTree(tmpdir);
}

static int NotHidden(const struct dirent* entry) {
  return entry->d_name[0] != '.';
}

// PID 1 inherits orphans: reap them so nothing lingers as a zombie between
// tests (a test's own leftover children are its business, not the next's).
static void ReapOrphans(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

static int RunAllTests(void) {
  char* test_args[kMaxTestArgs];
  int test_arg_count = ReadTestArgs(test_args, kMaxTestArgs);
  struct dirent** entries = NULL;
  int count = scandir("/tests", &entries, NotHidden, alphasort);
  if (count < 0) {
    Report("no /tests: %s", strerror(errno));
    return 0;
  }
  for (int i = 0; i < count; ++i) {
    RunTest(entries[i]->d_name, test_args, test_arg_count);
    ReapOrphans();
    free(entries[i]);
  }
  free(entries);
  return count;
}

int main(void) {
  MountOrReport("devtmpfs", "/dev");
  UseConsole();
  MountOrReport("proc", "/proc");
  MountOrReport("tmpfs", "/tmp");
  ReportKernel();
  Probe("mprotect-at-4k-offset", MprotectAt);
  Probe("map-fixed-at-4k-offset", MapFixedAt);
  int count = RunAllTests();
  Report("done %d", count);
  PowerOff();
  return 0;
}
