/*
 * A failing kernel fails the run: with a fault injected into the k-th call
 * of one kernel (build/blrchol-faults, a test build: BLRCHOL_FAULT=KERNEL:N),
 * every rank stops with status "error", exit 1 and a message naming the
 * kernel and its tile, never "ok".  Without the fault the same build
 * solves the problem, and the command users get ignores BLRCHOL_FAULT.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

#define PROBLEM "-n 3000 --nb 200 --quiet"

/* Run PROGRAM PROBLEM on 2 ranks with BLRCHOL_FAULT=fault (NULL: unset):
 * the exit code, the JSON in *json. */
static int run_with_fault(const char *program, const char *fault, char **json)
{
    char path[64], command[512], *output = NULL;
    temp_path(path, sizeof path, ".json");
    snprintf(command, sizeof command, "%s%s %s " PROBLEM " --json %s", fault ? "-x BLRCHOL_FAULT=" : "",
             fault ? fault : "", program, path);
    int status = run_mpi(2, command, &output);
    free(output);
    *json = slurp(path);
    unlink(path);
    cr_assert_not_null(*json, "%s wrote no JSON", command);
    return status;
}

static void expect_failure(const char *fault, const char *kernel)
{
    char *json;
    int status = run_with_fault("build/blrchol-faults", fault, &json);
    cr_assert_eq(status, 1, "%s: exit %d: %s", fault, status, json);
    cr_assert(json_has_string(json, "status", "error"), "%s: %s", fault, json);
    char expected[64];
    snprintf(expected, sizeof expected, "the %s kernel failed on tile (", kernel);
    cr_assert(strstr(json, expected), "%s: no '%s' in %s", fault, expected, json);
    free(json);
}

Test(kernel_faults, compression, .timeout = 120) { expect_failure("compression:3", "compression"); }
Test(kernel_faults, trsm, .timeout = 120) { expect_failure("trsm:2", "trsm"); }
Test(kernel_faults, syrk, .timeout = 120) { expect_failure("syrk:4", "syrk"); }
Test(kernel_faults, gemm, .timeout = 120) { expect_failure("gemm:5", "gemm"); }

/* The control: the fault build without a fault, and the command with one. */
Test(kernel_faults, only_the_injected_fault_fails, .timeout = 120)
{
    char *json;
    cr_assert_eq(run_with_fault("build/blrchol-faults", NULL, &json), 0, "%s", json);
    cr_assert(json_has_string(json, "status", "ok"), "%s", json);
    free(json);
    cr_assert_eq(run_with_fault("./blrchol", "gemm:5", &json), 0, "%s", json);
    cr_assert(json_has_string(json, "status", "ok"), "%s", json);
    free(json);
}
