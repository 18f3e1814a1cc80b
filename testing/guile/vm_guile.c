/* SPDX-License-Identifier: Apache-2.0 */
/* Debian's ppc64el Guile on granule inside the 64 KiB-page VM
 * (testing/guile/vm_run.sh puts it in the initramfs as a test).
 *
 * Runs workload.scm's tasks with Guile three ways, plain, on granule's
 * shared path and on its malloc path (the preload, as testing/guile/run.sh
 * does on the build machine): compile (plain Guile chooses the modules
 * that compile on their own, smallest first; the others compile the same
 * ones), image-table and load-all. Prints one line a run:
 *   guile-vm: mode=M task=T exit=E bytes=N
 * then how many compiled files are byte-identical, the preload's report
 * lines and a verdict. Exits 0 only when every run exited 0, the granule
 * runs' outputs and compiled files are plain Guile's, and each granule run
 * loaded images by its own path and refused none. Static: the VM has no
 * shell. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUILE "/usr/lib/powerpc64le-linux-gnu/guile/3.0/bin/guile"
#define PRELOAD "/granule/granule_preload.so"
#define WORKLOAD "/granule/workload.scm"
#define GO_LIST "/granule/go.list"
#define CANDIDATES "/granule/candidates.list"
#define CHOSEN "/tmp/chosen.list"
#define MODULES "8"

static const char* const kModes[] = {"plain", "shared", "malloc"};
static const char* const kTasks[] = {"compile", "image-table", "load-all"};
enum { kModeCount = 3, kTaskCount = 3 };

/* The output of one run, whole. */
typedef struct Run {
  int exit_code;  /* -1: did not exit normally. */
  char* output;
  size_t size;
} Run;

static char* ReadWhole(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  size_t capacity = 1 << 16, n = 0;
  char* data = malloc(capacity);
  size_t got;
  while (data != NULL && (got = fread(data + n, 1, capacity - n, f)) > 0) {
    n += got;
    if (n == capacity) data = realloc(data, capacity *= 2);
  }
  fclose(f);
  *size = n;
  return data;
}

/* Addresses differ from run to run: every run of 8 or more hexadecimal
 * digits becomes "ADDR", as testing/guile/run.sh's normalize does. */
static void Normalize(Run* run) {
  if (run->output == NULL) return;
  size_t out = 0;
  for (size_t i = 0; i < run->size;) {
    size_t j = i;
    while (j < run->size && ((run->output[j] >= '0' && run->output[j] <= '9') ||
                             (run->output[j] >= 'a' && run->output[j] <= 'f'))) {
      ++j;
    }
    if (j - i >= 8) {
      memcpy(run->output + out, "ADDR", 4);
      out += 4;
      i = j;
    } else if (j > i) {
      memmove(run->output + out, run->output + i, j - i);
      out += j - i;
      i = j;
    } else {
      run->output[out++] = run->output[i++];
    }
  }
  run->size = out;
}

static Run RunGuile(const char* mode, const char* task) {
  char out[256], err[256], report[256];
  snprintf(out, sizeof out, "/tmp/%s-%s.out", mode, task);
  snprintf(err, sizeof err, "/tmp/%s-%s.err", mode, task);
  snprintf(report, sizeof report, "/tmp/report-%s", mode);
  Run run = {-1, NULL, 0};
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) _exit(126);
    dup2(o, 1);
    dup2(e, 2);
    setenv("HOME", "/tmp", 1);
    setenv("GUILE_AUTO_COMPILE", "0", 1);
    if (strcmp(mode, "plain") != 0) {
      setenv("LD_PRELOAD", PRELOAD, 1);
      setenv("GRANULE_PRELOAD_PATH", mode, 1);
      setenv("GRANULE_PRELOAD_REPORT", report, 1);
    }
    char go_dir[256];
    snprintf(go_dir, sizeof go_dir, "/tmp/%s-go", mode);
    mkdir(go_dir, 0755);
    if (strcmp(task, "load-all") == 0) {
      execl(GUILE, "guile", "--no-auto-compile", WORKLOAD, task, GO_LIST,
            (char*)NULL);
    } else if (strcmp(task, "compile") == 0 && strcmp(mode, "plain") == 0) {
      execl(GUILE, "guile", "--no-auto-compile", WORKLOAD, "select",
            CANDIDATES, MODULES, CHOSEN, go_dir, (char*)NULL);
    } else if (strcmp(task, "compile") == 0) {
      execl(GUILE, "guile", "--no-auto-compile", WORKLOAD, "compile", CHOSEN,
            go_dir, (char*)NULL);
    } else {
      execl(GUILE, "guile", "--no-auto-compile", WORKLOAD, task, (char*)NULL);
    }
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return run;
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  run.output = ReadWhole(out, &run.size);
  Normalize(&run);
  return run;
}

/* The first `lines` lines of the file at `path`, each after `prefix`. */
static void PrintHead(const char* path, const char* prefix, int lines) {
  size_t size = 0;
  char* text = ReadWhole(path, &size);
  if (text == NULL) return;
  int at_line_start = 1;
  for (size_t i = 0; i < size && lines > 0; ++i) {
    if (at_line_start) fputs(prefix, stdout);
    putchar(text[i]);
    at_line_start = text[i] == '\n';
    if (at_line_start) --lines;
  }
  if (!at_line_start) putchar('\n');
  free(text);
}

/* How many of the .go files plain Guile compiled `mode` compiled to the
 * same bytes; *chosen is how many plain Guile compiled. */
static int IdenticalGo(const char* mode, int* chosen) {
  *chosen = 0;
  int identical = 0;
  for (int n = 1;; ++n) {
    char plain_path[256], path[256];
    snprintf(plain_path, sizeof plain_path, "/tmp/plain-go/%d.go", n);
    snprintf(path, sizeof path, "/tmp/%s-go/%d.go", mode, n);
    size_t plain_size = 0, size = 0;
    char* plain = ReadWhole(plain_path, &plain_size);
    if (plain == NULL) break;
    ++*chosen;
    char* other = ReadWhole(path, &size);
    if (other != NULL && size == plain_size &&
        memcmp(plain, other, size) == 0) {
      ++identical;
    }
    free(plain);
    free(other);
  }
  return identical;
}

/* The preload's counts for `mode`, from its report (one line a process). */
static int ReportOk(const char* mode) {
  char path[256];
  snprintf(path, sizeof path, "/tmp/report-%s", mode);
  FILE* f = fopen(path, "r");
  if (f == NULL) {
    printf("guile-vm: mode=%s: no preload report\n", mode);
    return 0;
  }
  char line[512];
  unsigned long long loaded_total = 0, by_path_total = 0, refused_total = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    fputs(line, stdout);
    unsigned long long loaded = 0, shared = 0, malloc_path = 0, refused = 0;
    const char* at = strstr(line, "loaded=");
    if (at) loaded = strtoull(at + 7, NULL, 10);
    if ((at = strstr(line, "shared="))) shared = strtoull(at + 7, NULL, 10);
    if ((at = strstr(line, "malloc="))) malloc_path = strtoull(at + 7, NULL, 10);
    if ((at = strstr(line, "refused="))) refused = strtoull(at + 8, NULL, 10);
    loaded_total += loaded;
    by_path_total += strcmp(mode, "shared") == 0 ? shared : malloc_path;
    refused_total += refused;
  }
  fclose(f);
  return loaded_total > 0 && by_path_total == loaded_total &&
         refused_total == 0;
}

int main(void) {
  Run runs[kModeCount][kTaskCount];
  for (int m = 0; m < kModeCount; ++m) {
    for (int t = 0; t < kTaskCount; ++t) {
      runs[m][t] = RunGuile(kModes[m], kTasks[t]);
      printf("guile-vm: mode=%s task=%s exit=%d bytes=%zu\n", kModes[m],
             kTasks[t], runs[m][t].exit_code, runs[m][t].size);
      if (runs[m][t].exit_code != 0) {
        char err[256];
        snprintf(err, sizeof err, "/tmp/%s-%s.err", kModes[m], kTasks[t]);
        PrintHead(err, "guile-vm: stderr: ", 8);
      }
      fflush(stdout);
    }
  }
  int ok = 1;
  for (int m = 1; m < kModeCount; ++m) {
    int chosen = 0;
    const int identical = IdenticalGo(kModes[m], &chosen);
    printf("guile-vm: mode=%s compiled %d of plain Guile's %d modules to the "
           "same bytes\n",
           kModes[m], identical, chosen);
    if (chosen < atoi(MODULES) || identical != chosen) ok = 0;
  }
  for (int t = 0; t < kTaskCount; ++t) {
    const Run* shared = &runs[1][t];
    const Run* heap = &runs[2][t];
    const int granule_ok = shared->exit_code == 0 && heap->exit_code == 0 &&
                           shared->size == heap->size && shared->size > 0 &&
                           memcmp(shared->output, heap->output, shared->size) == 0;
    const Run* plain = &runs[0][t];
    const int plain_ran = plain->exit_code == 0;
    const int plain_same = plain_ran && plain->size == shared->size &&
                           memcmp(plain->output, shared->output, plain->size) == 0;
    printf("guile-vm: task=%s granule_paths_agree=%s plain=%s\n", kTasks[t],
           granule_ok ? "yes" : "no",
           !plain_ran ? "failed" : plain_same ? "same" : "different");
    if (!granule_ok || !plain_ran || !plain_same) ok = 0;
  }
  PrintHead("/tmp/shared-load-all.out", "guile-vm: shared run: ", 4);
  for (int m = 1; m < kModeCount; ++m) {
    if (!ReportOk(kModes[m])) {
      printf("guile-vm: mode=%s: granule did not load every image by it\n",
             kModes[m]);
      ok = 0;
    }
  }
  printf("guile-vm: %s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
