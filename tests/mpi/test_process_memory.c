/*
 * The process's own memory under mpirun: the resident set (getrusage)
 * stays close to what the tile allocator counts, because StarPU holds at
 * most a window of submitted unfinished tasks (runtime/process_memory.c);
 * and a tiny window, alone or with memctl blocking under tight
 * watermarks, neither deadlocks nor changes the result.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

static char *run_json(int ranks, const char *args)
{
    char *json = run_blrchol_json(ranks, args, 0);
    cr_assert(json_has_string(json, "status", "ok"), "%s: %s", args, json);
    return json;
}

/* Resident memory the process gained beyond its tiles (and StarPU-MPI's
 * message buffers): peak RSS - RSS before the tiles - peak tile count. */
static double beyond_tiles(const char *json)
{
    return json_number(json, "peak_rss_bytes") - json_number(json, "rss_start_bytes") -
           json_number(json, "peak_total_bytes");
}

/* n = 30000, nb 512, nt = 59: ~36 000 tasks, submitted all at once unless held
 * back.  Measured: 33 MiB beyond 299 MiB of tiles with the default window,
 * 79 MiB without a window. */
Test(process_memory, rss_follows_the_tiles, .timeout = 600)
{
    const char *problem = "-n 30000 --nb 512 --eps 1e-6";
    char *bounded = run_json(1, problem);
    char args[256];
    snprintf(args, sizeof args, "%s --task-window 0", problem);
    char *unbounded = run_json(1, args);
    cr_assert_eq(json_number(bounded, "task_window"), 10000, "%s", bounded);
    cr_assert_eq(json_number(unbounded, "task_window"), 0, "%s", unbounded);
    const double tiles = json_number(bounded, "peak_total_bytes"), mib = 1048576.0;
    const double extra = beyond_tiles(bounded), extra_unbounded = beyond_tiles(unbounded);
    cr_assert(json_number(bounded, "rss_start_bytes") > 0, "%s", bounded);
    cr_assert(extra <= 0.25 * tiles, "resident memory %.1f MiB beyond %.1f MiB of tiles: %s", extra / mib,
              tiles / mib, bounded);
    /* The window is what holds it: ~26 000 fewer task descriptors. */
    cr_assert(extra_unbounded > extra + 25 * mib, "without a window %.1f MiB beyond the tiles, with it %.1f MiB",
              extra_unbounded / mib, extra / mib);
}

#define PROBLEM "-n 3000 --nb 200 --kernel laplace --eps 1e-8 --check"

/* A window of 8 tasks on 4 ranks: each rank submits a few tasks ahead of
 * execution only, across the step synchronisation's barriers and memctl's
 * blocking; the factorisation completes with the same backward error
 * (the window only delays submission). */
Test(process_memory, tiny_window_with_tight_watermarks, .timeout = 900)
{
    char *reference_run = run_json(4, PROBLEM " --no-memctl --task-window 0");
    const double reference = json_number(reference_run, "backward_error");
    const double peak = json_number(reference_run, "peak_charged_bytes");
    free(reference_run);
    const double tile = 200.0 * 200 * 8;
    char args[512];
    for (int grid_rows = 1; grid_rows <= 4; grid_rows *= 2) {
        /* Without memctl, then with watermarks a few tiles above the send
         * window (4 packed tiles) that make it block. */
        const double high = 4 * (16 + tile) + 6 * tile, low = 0.7 * high;
        cr_assert_lt(high, peak, "the watermarks would not bind");
        const char *variants[] = {"--no-memctl", ""};
        for (int v = 0; v < 2; v++) {
            if (v == 0)
                snprintf(args, sizeof args, "%s -P %d --task-window 8 %s", PROBLEM, grid_rows, variants[v]);
            else
                snprintf(args, sizeof args, "%s -P %d --task-window 8 --mem-high %.0f --mem-low %.0f", PROBLEM,
                         grid_rows, high, low);
            char *json = run_json(4, args);
            cr_assert_eq(json_number(json, "task_window"), 8, "%s", json);
            if (v == 1)
                cr_assert(json_number(json, "memctl_blocks") > 0, "%s: memctl never blocked: %s", args, json);
            const double backward_error = json_number(json, "backward_error");
            cr_assert(fabs(backward_error - reference) <= 1e-6 * reference, "%s: %g vs %g", args, backward_error,
                      reference);
            free(json);
        }
    }
}
