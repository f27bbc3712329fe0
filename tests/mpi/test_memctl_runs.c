/*
 * memctl under mpirun: tight watermarks never deadlock and change nothing
 * in the result; a per-rank capacity is never passed and ends in a clean
 * "oom"; a budget below one tile is refused with a message.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/support.h"

static char *run_json(int ranks, const char *args, int expected_status)
{
    char json_path[64], command[1024];
    temp_path(json_path, sizeof json_path, ".json");
    snprintf(command, sizeof command, "%s --quiet --json %s", args, json_path);
    char *output = NULL;
    int status = run_blrchol(ranks, command, &output);
    cr_assert_eq(status, expected_status, "blrchol %s on %d ranks exited %d:\n%s", command, ranks, status, output);
    free(output);
    char *json = slurp(json_path);
    unlink(json_path);
    cr_assert_not_null(json, "no JSON from blrchol %s", command);
    return json;
}

#define PROBLEM "-n 3000 --nb 200 --kernel laplace --eps 1e-8 --check"

/* Random watermarks between one tile and the unconstrained peak: the run
 * completes with the same backward error (every tile sees the same kernels
 * in the same order; memctl only delays submission). */
Test(memctl_runs, random_tight_watermarks, .timeout = 900)
{
    char *free_run = run_json(4, PROBLEM " --no-memctl", 0);
    double reference = json_number(free_run, "backward_error");
    double peak = json_number(free_run, "peak_charged_bytes");
    free(free_run);
    /* The send window memctl charges for good (STARPU_MPI_NDETACHED_SEND
     * packed tiles), read from a run with ample memory. */
    char *ample = run_json(4, PROBLEM, 0);
    double window = json_number(ample, "memctl_send_window_bytes");
    cr_assert_gt(window, 0, "%s", ample);
    free(ample);
    unsigned seed = (unsigned)time(NULL);
    srand(seed);
    const double tile = 200.0 * 200 * 8, message = 16 + tile;
    for (int run = 0; run < 4; run++) {
        double high = window + tile * (1.5 + rand() % 20);
        if (high > peak + window)
            high = peak + window;
        double low = high * (0.5 + 0.4 * rand() / RAND_MAX);
        char args[512];
        snprintf(args, sizeof args, PROBLEM " --mem-high %.0f --mem-low %.0f", high, low);
        char *json = run_json(4, args, 0);
        cr_assert(json_has_string(json, "status", "ok"), "seed %u: %s", seed, json);
        double backward_error = json_number(json, "backward_error");
        cr_assert(fabs(backward_error - reference) <= 1e-6 * reference, "seed %u, high %.0f low %.0f: %g vs %g", seed,
                  high, low, backward_error, reference);
        cr_assert(json_number(json, "memctl_blocks") > 0, "seed %u, high %.0f: memctl never blocked", seed, high);
        /* What the process held for tiles, StarPU-MPI's buffers included,
         * stays within the charge but for the message being unpacked. */
        double total = json_number(json, "peak_total_bytes"), charged = json_number(json, "peak_charged_bytes");
        cr_assert_leq(total, charged + 2 * message, "seed %u, high %.0f: total %.0f, charged %.0f", seed, high,
                      total, charged);
        cr_assert_leq(json_number(json, "peak_send_buffer_bytes"), window, "seed %u", seed);
        free(json);
    }
}

/* Under a capacity the allocator never holds more, and the run says which
 * rank ran out, with exit code 3 on every rank. */
Test(memctl_runs, node_mem_is_never_passed, .timeout = 300)
{
    char *json = run_json(2, PROBLEM " --dense --node-mem 4M", 3);
    cr_assert(json_has_string(json, "status", "oom"), "%s", json);
    cr_assert(strstr(json, "out of memory on rank"), "%s", json);
    double cap = 4.0 * 1024 * 1024;
    cr_assert(json_number(json, "peak_actual_bytes") <= cap, "%s", json);
    free(json);
    /* The same problem fits in more. */
    json = run_json(2, PROBLEM " --dense --node-mem 64M", 0);
    cr_assert(json_has_string(json, "status", "ok"), "%s", json);
    cr_assert(json_number(json, "peak_actual_bytes") <= 64.0 * 1024 * 1024, "%s", json);
    free(json);
}

Test(memctl_runs, budget_below_one_tile_is_refused, .timeout = 300)
{
    char *output = NULL;
    int status = run_blrchol(2, PROBLEM " --mem-high 100K --mem-low 50K", &output);
    cr_assert_eq(status, 2, "%s", output);
    cr_assert(strstr(output, "too small for one task"), "%s", output);
    free(output);
}

/* StarPU-MPI's own buffers are counted (kernels/runtime_alloc.c): one rank
 * sends and receives nothing; with several ranks and dense tiles every
 * message is a whole packed tile (16-byte header + nb^2 doubles), received
 * into a buffer of that size, and at most STARPU_MPI_NDETACHED_SEND (set to
 * 3 here) are packed at a time.  The total peak is at least the tiles'. */
Test(memctl_runs, starpu_mpi_buffers_are_counted, .timeout = 300)
{
    const double message = 16 + 200.0 * 200 * 8;
    char *alone = run_json(1, "-n 2000 --nb 200 --dense", 0);
    cr_assert_eq(json_number(alone, "peak_send_buffer_bytes"), 0);
    cr_assert_eq(json_number(alone, "peak_recv_buffer_bytes"), 0);
    free(alone);

    char *json = NULL, path[64], *output = NULL;
    temp_path(path, sizeof path, ".json");
    char command[256];
    snprintf(command, sizeof command,
             "-x STARPU_MPI_NDETACHED_SEND=3 ./blrchol -n 3000 --nb 200 --dense --quiet --json %s", path);
    cr_assert_eq(run_mpi(4, command, &output), 0, "%s", output);
    free(output);
    json = slurp(path);
    unlink(path);
    double sends = json_number(json, "peak_send_buffer_bytes"), receives = json_number(json, "peak_recv_buffer_bytes");
    cr_assert_geq(sends, message, "send buffers %g", sends);
    cr_assert_leq(sends, 3 * message, "send buffers %g past 3 packed tiles", sends);
    cr_assert_eq(json_number(json, "memctl_send_window_bytes"), 3 * message);
    cr_assert_geq(receives, message, "receive buffers %g", receives);
    cr_assert_geq(json_number(json, "peak_total_bytes"), json_number(json, "peak_actual_bytes"));
    free(json);
}
