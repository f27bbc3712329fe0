/*
 * The memctl experiment, reduced (bench/memctl-experiment is the full one):
 * at a per-rank capacity between the least memory memctl can run in and
 * the peak of an uncontrolled run, the uncontrolled run ends "oom" (exit
 * 3) and the controlled one completes under the capacity with the
 * unconstrained backward error.  The capacity is derived from measured
 * peaks, never hard-coded.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

#define RANKS 4
#define NB 256
/* N = 8000: at N = 6000 the uncontrolled peak came within 5% of memctl's
 * floor in some runs (47.0 against 45.0 MiB) since ranks got cores of
 * their own (runtime/placement.c) and execution keeps up with arrivals. */
#define PROBLEM "-n 8000 --nb 256 --dense"

static char *run_json(const char *args, int expected_exit)
{
    char command[1024];
    snprintf(command, sizeof command, PROBLEM " %s", args);
    return run_blrchol_json(RANKS, command, expected_exit);
}

Test(memctl_experiment, oom_without_memctl_ok_with_it, .timeout = 600)
{
    const double tile = (double)NB * NB * 8, message = 16 + tile;
    /* memctl charges StarPU-MPI's send window for good: blrchol's default
     * STARPU_MPI_NDETACHED_SEND (4, library/api.c) packed tiles. */
    const double window = 4 * message;
    /* The uncontrolled peak depends on when remote tiles arrive: 94.4 to
     * 108.2 MiB over 5 runs (floor 76.0).  The least of three is the one
     * the capacity must stay under for the uncontrolled run to end oom. */
    char *free_run = run_json("--no-memctl --check", 0);
    double p_free = json_number(free_run, "peak_actual_bytes");
    double reference = json_number(free_run, "backward_error");
    free(free_run);
    for (int again = 0; again < 2; again++) {
        free_run = run_json("--no-memctl", 0);
        p_free = fmin(p_free, json_number(free_run, "peak_actual_bytes"));
        free(free_run);
    }

    char args[256];
    snprintf(args, sizeof args, "--mem-high %.0f --mem-low %.0f", window + 1.5 * tile, window + tile);
    char *floor_run = run_json(args, 0);
    cr_assert_eq(json_number(floor_run, "memctl_send_window_bytes"), window);
    double p_floor = json_number(floor_run, "peak_total_bytes"); /* StarPU-MPI's buffers included */
    free(floor_run);
    cr_assert_lt(p_floor, 0.95 * p_free, "memctl saves nothing here: floor %.0f, free peak %.0f", p_floor, p_free);

    double node_mem = p_floor + 0.3 * (p_free - p_floor);
    snprintf(args, sizeof args, "--no-memctl --node-mem %.0f", node_mem);
    char *without = run_json(args, 3);
    cr_assert(json_has_string(without, "status", "oom"), "%s", without);
    free(without);

    /* Tiles and StarPU-MPI's buffers stay within the charge but for the
     * message being unpacked: two messages of headroom. */
    const double high = node_mem - 2 * message;
    snprintf(args, sizeof args, "--node-mem %.0f --mem-high %.0f --mem-low %.0f --check", node_mem, high,
             high - 4 * tile);
    char *with = run_json(args, 0);
    cr_assert(json_has_string(with, "status", "ok"), "%s", with);
    cr_assert_leq(json_number(with, "peak_actual_bytes"), node_mem);
    cr_assert_leq(json_number(with, "peak_total_bytes"), node_mem, "the process held more than --node-mem: %s", with);
    /* The step synchronisation leaves StarPU-MPI no tile to hold early. */
    cr_assert_eq(json_number(with, "peak_early_bytes"), 0, "%s", with);
    cr_assert_eq(json_number(with, "early_check_failures"), 0, "%s", with);
    double backward_error = json_number(with, "backward_error");
    cr_assert(fabs(backward_error - reference) <= 1e-6 * reference, "backward error %g with memctl, %g without",
              backward_error, reference);
    free(with);
}
