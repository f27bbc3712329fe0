/*
 * The kernel time in the report (kernel_seconds_KIND, kernel_calls_KIND)
 * under mpirun, against what is known without it: the number of tasks of
 * each kind in a tiled Cholesky of nt tiles, and the workers' wall time,
 * which the kernels' time cannot exceed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/support.h"

static const char *const kinds[] = {"potrf", "trsm", "syrk", "gemm", "recompression"};
enum { POTRF, TRSM, SYRK, GEMM, RECOMPRESSION, KINDS };

static double kernel_value(const char *json, const char *what, int kind)
{
    char key[64];
    snprintf(key, sizeof key, "kernel_%s_%s", what, kinds[kind]);
    return json_number(json, key);
}

/* POTRF nt, TRSM and SYRK nt(nt-1)/2, GEMM nt(nt-1)(nt-2)/6: the tasks of
 * the right-looking tiled Cholesky, each one kernel call. */
static void assert_calls_match_task_counts(const char *json)
{
    const double nt = json_number(json, "nt");
    const double expected[] = {nt, nt * (nt - 1) / 2, nt * (nt - 1) / 2, nt * (nt - 1) * (nt - 2) / 6};
    for (int k = POTRF; k <= GEMM; k++)
        cr_assert_eq(kernel_value(json, "calls", k), expected[k], "%s: %g calls, expected %g", kinds[k],
                     kernel_value(json, "calls", k), expected[k]);
}

/* Each kind present took some time; all of them together no more than the
 * workers of every rank had during the factorisation. */
static void assert_seconds_within_workers_time(const char *json, int ranks)
{
    double sum = 0;
    for (int k = 0; k < KINDS; k++) {
        const double seconds = kernel_value(json, "seconds", k);
        cr_assert(kernel_value(json, "calls", k) > 0 ? seconds > 0 : seconds == 0, "%s: %g s for %g calls",
                  kinds[k], seconds, kernel_value(json, "calls", k));
        sum += seconds;
    }
    const double available = ranks * json_number(json, "workers_per_rank") * json_number(json, "time_factor");
    cr_assert(sum <= available, "%g s in the kernels, %g s of workers' time", sum, available);
}

Test(kernel_time, blr_two_ranks, .timeout = 300)
{
    char *json = run_blrchol_json(2, "-n 3000 --nb 200 --eps 1e-6", 0);
    cr_assert(json_has_string(json, "status", "ok"), "%s", json);
    assert_calls_match_task_counts(json);
    assert_seconds_within_workers_time(json, 2);
    /* A GEMM recompresses only into a low-rank C: the off-diagonal tiles of
     * a sphere at 1e-6 are low-rank, so some do, never more than GEMMs. */
    const double recompressions = kernel_value(json, "calls", RECOMPRESSION);
    cr_assert(recompressions > 0 && recompressions <= kernel_value(json, "calls", GEMM), "%g recompressions",
              recompressions);
    /* The kernels' workspace is part of the process, and was used. */
    const double scratch = json_number(json, "peak_scratch_bytes");
    cr_assert(scratch > 0 && scratch <= json_number(json, "peak_rss_bytes"), "%g bytes of scratch", scratch);
    free(json);
}

Test(kernel_time, dense_never_recompresses, .timeout = 300)
{
    char *json = run_blrchol_json(2, "-n 2000 --nb 250 --dense", 0);
    cr_assert(json_has_string(json, "status", "ok"), "%s", json);
    assert_calls_match_task_counts(json);
    assert_seconds_within_workers_time(json, 2);
    cr_assert_eq(kernel_value(json, "calls", RECOMPRESSION), 0, "%s", json);
    free(json);
}
