/*
 * memctl under mpirun: tight watermarks never deadlock and change nothing
 * in the result; a per-rank capacity is never passed and ends in a clean
 * "oom"; a budget below one tile is refused with a message; StarPU-MPI's
 * early data (tiles received before their receive is posted) is counted in
 * `actual`, charged, traced, and absent under the step synchronisation.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/support.h"

#define PROBLEM "-n 3000 --nb 200 --kernel laplace --eps 1e-8 --check"

/* Random watermarks between one tile and the unconstrained peak: the run
 * completes with the same backward error (every tile sees the same kernels
 * in the same order; memctl only delays submission). */
Test(memctl_runs, random_tight_watermarks, .timeout = 900)
{
    unsigned seed = (unsigned)time(NULL);
    srand(seed);
    /* One of the three grids of 4 ranks: 1 x 4, 2 x 2, 4 x 1. */
    const int rows = 1 << (rand() % 3);
    char problem[256];
    snprintf(problem, sizeof problem, PROBLEM " -P %d", rows);
    char args[512];
    snprintf(args, sizeof args, "%s --no-memctl", problem);
    char *free_run = run_blrchol_json(4, args, 0);
    double reference = json_number(free_run, "backward_error");
    double peak = json_number(free_run, "peak_charged_bytes");
    free(free_run);
    /* The send window memctl charges for good (STARPU_MPI_NDETACHED_SEND
     * packed tiles), read from a run with ample memory. */
    char *ample = run_blrchol_json(4, problem, 0);
    double window = json_number(ample, "memctl_send_window_bytes");
    cr_assert_gt(window, 0, "%s", ample);
    free(ample);
    const double tile = 200.0 * 200 * 8, message = 16 + tile;
    for (int run = 0; run < 4; run++) {
        double high = window + tile * (1.5 + rand() % 20);
        if (high > peak + window)
            high = peak + window;
        double low = high * (0.5 + 0.4 * rand() / RAND_MAX);
        snprintf(args, sizeof args, "%s --mem-high %.0f --mem-low %.0f", problem, high, low);
        char *json = run_blrchol_json(4, args, 0);
        cr_assert(json_has_string(json, "status", "ok"), "seed %u: %s", seed, json);
        /* Every reception is posted before its sender submits the send
         * (the step synchronisation): no early data, and the early/posted
         * classification of every receive buffer agrees with its unpack. */
        cr_assert(strstr(json, "\"memctl_step_sync\": true"), "seed %u: %s", seed, json);
        cr_assert_eq(json_number(json, "peak_early_bytes"), 0, "seed %u, %s: early data: %s", seed, args, json);
        cr_assert_eq(json_number(json, "early_receives"), 0, "seed %u, %s", seed, args);
        cr_assert_eq(json_number(json, "early_check_failures"), 0, "seed %u, %s", seed, args);
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
    char *json = run_blrchol_json(2, PROBLEM " --dense --node-mem 4M", 3);
    cr_assert(json_has_string(json, "status", "oom"), "%s", json);
    cr_assert(strstr(json, "out of memory on rank"), "%s", json);
    double cap = 4.0 * 1024 * 1024;
    cr_assert(json_number(json, "peak_actual_bytes") <= cap, "%s", json);
    free(json);
    /* The same problem fits in more. */
    json = run_blrchol_json(2, PROBLEM " --dense --node-mem 64M", 0);
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

/* StarPU-MPI's own buffers are counted (runtime/runtime_alloc.c): one rank
 * sends and receives nothing; with several ranks and dense tiles every
 * message is a whole packed tile (16-byte header + nb^2 doubles), received
 * into a buffer of that size, and at most STARPU_MPI_NDETACHED_SEND (set to
 * 3 here) are packed at a time.  The total peak is at least the tiles'. */
Test(memctl_runs, starpu_mpi_buffers_are_counted, .timeout = 300)
{
    const double message = 16 + 200.0 * 200 * 8;
    char *alone = run_blrchol_json(1, "-n 2000 --nb 200 --dense", 0);
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

/* Read the per-rank trace files PATH.0 .. PATH.(ranks-1) and delete them:
 * the largest early data and the largest actual + runtime over all rows;
 * checks the header and that no row holds more early data than actual.
 * 0 when a file is missing. */
static int trace_peaks(const char *path, int ranks, double *early, double *total)
{
    *early = *total = 0;
    for (int r = 0; r < ranks; r++) {
        char name[128];
        snprintf(name, sizeof name, "%s.%d", path, r);
        FILE *f = fopen(name, "r");
        if (!f)
            return 0;
        char line[512];
        cr_assert_not_null(fgets(line, sizeof line, f));
        cr_assert_str_eq(line, "rank,time,charged,actual,blocked,runtime,early\n");
        while (fgets(line, sizeof line, f)) {
            double v[7];
            cr_assert_eq(sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf,%lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]),
                         7, "%s: %s", name, line);
            cr_assert_leq(v[6], v[3], "%s: early data outside actual: %s", name, line);
            *early = fmax(*early, v[6]);
            *total = fmax(*total, v[3] + v[5]);
        }
        fclose(f);
        unlink(name);
    }
    return 1;
}

/* Early data, where it occurs, is tile memory like any other: it is in
 * `actual`, in memctl's charge and in the trace, and --node-mem counts it.
 * Without memctl, and with memctl but without the step synchronisation
 * (--no-step-sync: a rank blocked in memctl receives what its peers send
 * meanwhile), tiles arrive before their receive is posted: the runs show
 * it (peak_early_bytes > 0), classify every buffer consistently with the
 * path that unpacks it, and still end under a --node-mem that counts it,
 * with the unconstrained backward error.  With the step synchronisation
 * (memctl's default) the same watermarks see no early data at all. */
Test(memctl_runs, early_data_is_counted_and_bounded, .timeout = 900)
{
#define DENSE "-n 3000 --nb 200 --dense --check"
    const double tile = 200.0 * 200 * 8, message = 16 + tile;
    char *free_run = run_blrchol_json(4, DENSE " --no-memctl", 0);
    double reference = json_number(free_run, "backward_error");
    double free_total = json_number(free_run, "peak_total_bytes");
    double free_early = json_number(free_run, "peak_early_bytes");
    cr_assert_gt(free_early, 0, "no early data without memctl: %s", free_run);
    cr_assert_gt(json_number(free_run, "early_receives"), 0, "%s", free_run);
    cr_assert_eq(json_number(free_run, "early_check_failures"), 0, "%s", free_run);
    cr_assert_geq(json_number(free_run, "peak_actual_bytes"), free_early, "%s", free_run);
    free(free_run);

    /* Watermarks a few tiles above the send window: ranks block often. */
    const double window = 4 * message, high = window + 8 * tile, low = window + 4 * tile;
    /* Capacity: what the uncontrolled process held, early data included. */
    const double node_mem = free_total;
    char trace[64], args[512];
    temp_path(trace, sizeof trace, ".csv");
    const char *modes[] = {"--no-step-sync", ""};
    for (int m = 0; m < 2; m++) {
        snprintf(args, sizeof args, DENSE " %s --mem-high %.0f --mem-low %.0f --node-mem %.0f --trace %s", modes[m],
                 high, low, node_mem, trace);
        char *json = run_blrchol_json(4, args, 0);
        cr_assert(json_has_string(json, "status", "ok"), "%s: %s", args, json);
        double early = json_number(json, "peak_early_bytes"), total = json_number(json, "peak_total_bytes");
        if (m == 0)
            cr_assert_gt(early, 0, "%s: no early data without the step synchronisation: %s", args, json);
        else
            cr_assert_eq(early, 0, "%s: early data under the step synchronisation: %s", args, json);
        cr_assert_eq(json_number(json, "early_check_failures"), 0, "%s", json);
        cr_assert_leq(json_number(json, "peak_actual_bytes"), node_mem, "%s", json);
        cr_assert_leq(total, node_mem, "%s: tiles + early data + StarPU-MPI buffers past --node-mem: %s", args, json);
        double backward_error = json_number(json, "backward_error");
        cr_assert(fabs(backward_error - reference) <= 1e-6 * reference, "%s: %g vs %g", args, backward_error,
                  reference);
        /* The trace tells the same: early data inside actual on every row,
         * seen when the JSON saw it, actual + runtime never past the
         * capacity nor past the reported peak. */
        double traced_early, traced_total;
        cr_assert(trace_peaks(trace, 4, &traced_early, &traced_total), "trace files %s.RANK missing", trace);
        cr_assert_eq(traced_early > 0, early > 0, "%s: trace early %.0f, JSON %.0f", args, traced_early, early);
        cr_assert_leq(traced_early, early, "%s", args);
        cr_assert_leq(traced_total, total, "%s", args);
        char tasks[80];
        snprintf(tasks, sizeof tasks, "%.*s.tasks.csv", (int)strlen(trace) - 4, trace);
        for (int r = 0; r < 4; r++) {
            char name[96];
            snprintf(name, sizeof name, "%s.%d", tasks, r);
            unlink(name);
        }
        free(json);
    }
    unlink(trace);
#undef DENSE
}

/* StarPU-MPI's receive cache turned off (STARPU_MPI_CACHE=0): the step
 * synchronisation needs it, so the default configuration refuses at once,
 * naming the variable (it used to hang); without the step synchronisation
 * the run completes with a backward error as with the cache. */
Test(memctl_runs, receive_cache_off_is_refused_or_works, .timeout = 300)
{
    char *output = NULL;
    int status = run_mpi(2, "-x STARPU_MPI_CACHE=0 ./blrchol -n 3000 --quiet", &output);
    cr_assert_eq(status, 2, "%s", output);
    cr_assert(strstr(output, "STARPU_MPI_CACHE=0"), "%s", output);
    free(output);
    char path[64], command[256];
    temp_path(path, sizeof path, ".json");
    snprintf(command, sizeof command, "-x STARPU_MPI_CACHE=0 ./blrchol -n 3000 --quiet --no-step-sync --check --json %s",
             path);
    cr_assert_eq(run_mpi(2, command, &output), 0, "%s", output);
    free(output);
    char *json = slurp(path);
    unlink(path);
    cr_assert(json_has_string(json, "status", "ok"), "%s", json);
    cr_assert_lt(json_number(json, "backward_error"), 1e-7, "%s", json);
    free(json);
}

/* Without --node-mem the tile allocator still has a hard cap: the node's
 * memory divided by its ranks, less the process's peak RSS before the
 * tiles, less 15% for what the process holds beyond the tiles (worked out
 * here from sysconf and the run's rss_start_bytes); --node-mem none lifts
 * it; --node-mem is the cap when given. */
Test(memctl_runs, a_hard_cap_by_default, .timeout = 300)
{
    char *json = run_blrchol_json(2, "-n 2000 --nb 200", 0);
    const double node = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    const double expected = 0.85 * (node / 2 - json_number(json, "rss_start_bytes"));
    const double cap = json_number(json, "memory_cap");
    cr_assert(fabs(cap - expected) <= 0.01 * expected, "cap %.0f, expected %.0f: %s", cap, expected, json);
    cr_assert(isnan(json_number(json, "node_mem")), "%s", json);
    free(json);
    json = run_blrchol_json(2, "-n 2000 --nb 200 --node-mem none", 0);
    cr_assert(isnan(json_number(json, "memory_cap")), "--node-mem none left a cap: %s", json);
    free(json);
    json = run_blrchol_json(2, "-n 2000 --nb 200 --node-mem 64M", 0);
    cr_assert_eq(json_number(json, "memory_cap"), 64.0 * 1024 * 1024, "%s", json);
    free(json);
}
