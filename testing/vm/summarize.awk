# SPDX-License-Identifier: Apache-2.0
# Reads a test VM's console log and prints what it proves; exits 0 only if it
# proves everything (see run_tests.sh). Variables, given with -v:
#   machine        the machine's name
#   page_size      the page size the machine's kernel must have
#   binaries       the test names put in /tests, separated by spaces
#   timed_out      1 if the VM was stopped by the runner's timeout
#   seconds        how long the VM ran, for the report
# Output: a table for people, then one line per binary and a final line for
# scripts, e.g.
#   granule-vm-result machine=M kernel=K page_size=P binary=B exit=E passed=N failed=N skipped=N
#   granule-vm-summary machine=M kernel=K page_size=P probes=ok binaries=N reported=N status=pass seconds=S
# exit= is a number, signal-N, exec-failed-ERRNO, timeout (it was running
# when the VM was stopped) or missing (it never ran); counts are "-" when the
# binary printed no gtest totals.

BEGIN {
  kernel = "unknown"; seen_page_size = "unknown"; at_pagesz = "unknown"
  expected_count = split(binaries, expected, " ")
  running = ""
}

{ sub(/\r$/, "") }

# Kernel messages may share the console: take the markers wherever they start.
{ marker = index($0, "granule-vm: ") }
marker > 0 {
  split(substr($0, marker + length("granule-vm: ")), field, " ")
  if (field[1] == "kernel") {
    kernel = field[2]
  } else if (field[1] == "page-size") {
    sub(/^getpagesize=/, "", field[2]); seen_page_size = field[2]
    sub(/^at_pagesz=/, "", field[3]); at_pagesz = field[3]
  } else if (field[1] == "probe") {
    probe_names[++probe_count] = field[2]; probe_result[field[2]] = field[3]
  } else if (field[1] == "begin") {
    running = field[2]; began[running] = 1
  } else if (field[1] == "done") {
    done = 1
  } else if (field[2] == "exit") {
    outcome[field[1]] = field[3]; running = ""
  } else if (field[2] == "signal" || field[2] == "exec-failed") {
    outcome[field[1]] = field[2] "-" field[3]; running = ""
  }
  next
}

# gtest's closing totals: "[  PASSED  ] 3 tests." / "[  FAILED  ] 1 test, ...".
running != "" && /^\[  PASSED  \] [0-9]+ tests?/ { passed[running] = $4 }
running != "" && /^\[  FAILED  \] [0-9]+ tests?,/ { failed[running] = $4 }
running != "" && /^\[  SKIPPED \] [0-9]+ tests?,/ { skipped[running] = $4 }

function count_or_dash(counts, name) {
  return (name in counts) ? counts[name] : "-"
}

END {
  ok = 1
  page_ok = (seen_page_size == page_size && at_pagesz == page_size)
  if (!page_ok) ok = 0
  # Both probes must be refused: that is the kernel enforcing its page size.
  probes_ok = (probe_count == 2)
  probe_text = ""
  for (i = 1; i <= probe_count; i++) {
    if (probe_result[probe_names[i]] != "EINVAL") probes_ok = 0
    probe_text = probe_text (i > 1 ? ", " : "") probe_names[i] " " probe_result[probe_names[i]]
  }
  if (probe_text == "") probe_text = "none reported"
  if (!probes_ok) ok = 0

  printf "machine:   %s (expects %s-byte pages)\n", machine, page_size
  printf "kernel:    %s\n", kernel
  printf "page size: getpagesize %s, AT_PAGESZ %s%s\n", seen_page_size, at_pagesz,
         page_ok ? "" : "  <-- expected " page_size
  printf "probes:    %s%s\n", probe_text, probes_ok ? "" : "  <-- expected EINVAL"
  printf "%-40s %-18s %6s %6s %7s\n", "binary", "exit", "passed", "failed", "skipped"
  reported = 0
  for (i = 1; i <= expected_count; i++) {
    name = expected[i]
    if (name in outcome) {
      status = outcome[name]; reported++
    } else if (timed_out && name == running) {
      status = "timeout"
    } else {
      status = "missing"
    }
    if (status != "0") ok = 0
    printf "%-40s %-18s %6s %6s %7s\n", name, status, count_or_dash(passed, name),
           count_or_dash(failed, name), count_or_dash(skipped, name)
    results[i] = sprintf("granule-vm-result machine=%s kernel=%s page_size=%s binary=%s exit=%s passed=%s failed=%s skipped=%s",
                         machine, kernel, seen_page_size, name, status,
                         count_or_dash(passed, name), count_or_dash(failed, name),
                         count_or_dash(skipped, name))
  }
  if (timed_out) {
    ok = 0
    printf "TIMEOUT after %s s%s\n", seconds,
           running != "" ? " while running " running : " (no test was running)"
  } else if (!done) {
    ok = 0
    print "the VM stopped before /init said done (see the console log)"
  }
  for (i = 1; i <= expected_count; i++) print results[i]
  printf "granule-vm-summary machine=%s kernel=%s page_size=%s probes=%s binaries=%d reported=%d status=%s seconds=%s\n",
         machine, kernel, seen_page_size, probes_ok ? "ok" : "bad", expected_count,
         reported, timed_out ? "timeout" : (ok ? "pass" : "fail"), seconds
  exit ok ? 0 : 1
}
