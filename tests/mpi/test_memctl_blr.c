/*
 * memctl with low-rank tiles under mpirun: reservations from the ranks
 * after compression hold what arrives; the memory plan's least --node-mem
 * is one memctl completes in, and 90% of it is not; a run that blocks is
 * wired right (blocks end by releases, every copy received is released);
 * random tight capacities, dense and BLR, on 3 and 4 ranks, never deadlock
 * and never pass --node-mem.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/support.h"

#define BLR "-n 6000 --nb 256 --kernel laplace --eps 1e-8 -P 2"
#define MESSAGE (16 + 256.0 * 256 * 8)

/* The values of the array under "key" in a JSON text, at most `max`: their count. */
static int json_array(const char *json, const char *key, double *values, int max)
{
    char quoted[96];
    snprintf(quoted, sizeof quoted, "\"%s\": [", key);
    const char *at = strstr(json, quoted);
    cr_assert_not_null(at, "no %s in %s", key, json);
    int count = 0;
    for (char *end = (char *)at + strlen(quoted); *end && *end != ']' && count < max; end += *end == ',') {
        char *next;
        values[count++] = strtod(end, &next);
        end = next;
    }
    return count;
}

/* The largest value of the array under "key" in a JSON text. */
static double json_array_max(const char *json, const char *key)
{
    double values[64], largest = -INFINITY;
    const int count = json_array(json, key, values, 64);
    for (int k = 0; k < count; k++)
        largest = fmax(largest, values[k]);
    return largest;
}

/* The same problem reserved at the dense size and from the ranks: the
 * plans (worked out from the bounds, independent of timing) reserve less
 * than half for the largest step and no less than the tiles' sizes; the
 * runs charge less, and every copy that arrives is within its rank bound,
 * with the same backward error.  (How far the peak charge falls depends
 * on how far submission runs ahead: timing, not asserted beyond "less".) */
Test(memctl_blr, rank_reservations_hold_what_arrives, .timeout = 600)
{
    char *plan_dense = run_blrchol_json(4, BLR " --reserve dense --plan", 0);
    char *plan_rank = run_blrchol_json(4, BLR " --reserve rank --plan", 0);
    const double step_dense = json_array_max(plan_dense, "plan_step_reserved_bytes");
    const double step_rank = json_array_max(plan_rank, "plan_step_reserved_bytes");
    cr_assert_lt(step_rank, 0.5 * step_dense, "largest step: rank %.0f vs dense %.0f", step_rank, step_dense);
    cr_assert_geq(step_rank, json_array_max(plan_rank, "plan_step_actual_bytes"), "%s", plan_rank);
    free(plan_dense);
    free(plan_rank);
    char *dense = run_blrchol_json(4, BLR " --reserve dense --check", 0);
    char *rank = run_blrchol_json(4, BLR " --reserve rank --check", 0);
    cr_assert(json_has_string(dense, "memctl_reserve", "dense"), "%s", dense);
    cr_assert(json_has_string(rank, "memctl_reserve", "rank"), "%s", rank);
    cr_assert_gt(json_number(rank, "memctl_receptions"), 0, "%s", rank);
    cr_assert_eq(json_number(rank, "memctl_underreserved_receives"), 0, "%s", rank);
    cr_assert_eq(json_number(dense, "memctl_underreserved_receives"), 0, "%s", dense);
    const double charged_dense = json_number(dense, "peak_charged_bytes");
    const double charged_rank = json_number(rank, "peak_charged_bytes");
    cr_assert_lt(charged_rank, charged_dense, "rank %.0f vs dense %.0f", charged_rank, charged_dense);
    cr_assert_geq(charged_rank, json_number(rank, "peak_actual_bytes"), "%s", rank);
    const double be_dense = json_number(dense, "backward_error"), be_rank = json_number(rank, "backward_error");
    cr_assert(fabs(be_rank - be_dense) <= 1e-6 * be_dense, "%g vs %g", be_rank, be_dense);
    free(dense);
    free(rank);
}

/* blrchol on 4 ranks with the step look-ahead L (BLRCHOL_LOOKAHEAD): its
 * JSON on stdout. */
static char *run_with_lookahead(int lookahead, const char *args)
{
    char command[512];
    char *output = NULL;
    snprintf(command, sizeof command, "-x BLRCHOL_LOOKAHEAD=%d ./blrchol %s --quiet --json -", lookahead, args);
    const int status = run_mpi(4, command, &output);
    cr_assert_eq(status, 0, "exit %d: %s", status, output);
    return output;
}

/* Without a capacity, a look-ahead of one step keeps every rank's peak
 * charge within what the plan works out for it: own tiles, pool, send
 * window and two consecutive steps' reservations.  Unbounded, submission
 * reserves the receptions of most of the factorisation at once, far
 * above that bound. */
Test(memctl_blr, the_lookahead_bounds_the_charge, .timeout = 600)
{
    char *plan = run_with_lookahead(1, BLR " --plan");
    char *run = run_with_lookahead(1, BLR);
    cr_assert_eq(json_number(run, "memctl_lookahead"), 1, "%s", run);
    cr_assert_eq(json_number(run, "memctl_blocks"), 0, "a capacity bound the run: %s", run);
    cr_assert_eq(json_number(run, "memctl_underreserved_receives"), 0, "%s", run);
    cr_assert_eq(json_number(run, "memctl_growth_overruns"), 0, "%s", run);
    double bound[4], charged[4], actual[4];
    cr_assert_eq(json_array(plan, "plan_charge_bound", bound, 4), 4, "%s", plan);
    cr_assert_eq(json_array(run, "rank_peak_charged_bytes", charged, 4), 4, "%s", run);
    cr_assert_eq(json_array(run, "rank_peak_actual_bytes", actual, 4), 4, "%s", run);
    for (int e = 0; e < 4; e++) {
        cr_assert_leq(charged[e], bound[e], "rank %d charged %.0f over the plan's %.0f", e, charged[e], bound[e]);
        cr_assert_geq(charged[e], actual[e], "rank %d", e);
    }
    free(plan);
    free(run);
}

/* A reservation far above what arrives is corrected on arrival: in the
 * trace some row shows the charge falling while the tiles held grow
 * (a low-rank copy unpacked where its dense size was reserved). */
Test(memctl_blr, the_reception_correction_shows_in_the_trace, .timeout = 600)
{
    char trace[64], args[256];
    temp_path(trace, sizeof trace, ".csv");
    snprintf(args, sizeof args, BLR " --reserve dense --trace %s", trace);
    char *json = run_blrchol_json(4, args, 0);
    free(json);
    int corrections = 0;
    for (int r = 0; r < 4; r++) {
        char name[96], line[512];
        snprintf(name, sizeof name, "%s.%d", trace, r);
        FILE *f = fopen(name, "r");
        cr_assert_not_null(f, "%s missing", name);
        cr_assert_not_null(fgets(line, sizeof line, f));
        double last_charged = -1, last_actual = -1;
        while (fgets(line, sizeof line, f)) {
            double v[7];
            cr_assert_eq(sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf,%lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]),
                         7, "%s", line);
            corrections += last_charged >= 0 && v[2] < last_charged && v[3] > last_actual;
            last_charged = v[2], last_actual = v[3];
        }
        fclose(f);
        unlink(name);
        snprintf(name, sizeof name, "%.*s.tasks.csv.%d", (int)strlen(trace) - 4, trace, r);
        unlink(name);
    }
    unlink(trace);
    cr_assert_gt(corrections, 0, "no row where a reception lowered the charge");
}

/* --plan's least --node-mem: memctl completes under it without an idle
 * escape, and not under 90% of it (it refuses, runs out, or escapes, and
 * then says so on the terminal). */
Test(memctl_blr, the_plans_least_node_mem_is_the_least, .timeout = 600)
{
    char *plan = run_blrchol_json(4, BLR " --plan", 0);
    const double least = json_number(plan, "plan_node_mem");
    cr_assert(least > 0, "%s", plan);
    cr_assert(strstr(plan, "\"rank_local_bytes\""), "%s", plan);
    free(plan);
    char args[256];
    snprintf(args, sizeof args, BLR " --node-mem %.0f --check", ceil(least));
    char *fits = run_blrchol_json(4, args, 0);
    cr_assert(json_has_string(fits, "status", "ok"), "%s", fits);
    cr_assert_eq(json_number(fits, "memctl_overflows"), 0, "%s", fits);
    cr_assert_leq(json_number(fits, "peak_total_bytes"), ceil(least), "%s", fits);
    free(fits);
    char *output = NULL;
    snprintf(args, sizeof args, BLR " --node-mem %.0f --json -", floor(0.9 * least));
    const int status = run_blrchol(4, args, &output);
    const int escaped = status == 0 && json_number(output, "memctl_overflows") > 0;
    cr_assert(status == 2 || status == 3 || escaped, "exit %d under 90%% of the plan: %s", status, output);
    if (escaped)
        cr_assert(strstr(output, "warning: memctl went past its high watermark"), "no warning: %s", output);
    free(output);
}

/* A run that blocks: blocks end by releases (not all by the idle escape),
 * the charge passes high by at most one message, and every copy received
 * was released by the end (the release path is wired).  The look-ahead is
 * unbounded: a bounded one can keep the charge under high by itself. */
Test(memctl_blr, a_blocking_run_is_wired, .timeout = 600)
{
    char *plan = run_blrchol_json(4, BLR " --plan", 0);
    const double least = json_number(plan, "plan_node_mem");
    free(plan);
    char args[256];
    snprintf(args, sizeof args, BLR " --node-mem %.0f", ceil(1.02 * least));
    char *json = run_with_lookahead(0, args);
    const double blocks = json_number(json, "memctl_blocks"), overflows = json_number(json, "memctl_overflows");
    cr_assert_gt(blocks, 0, "memctl never blocked: %s", json);
    cr_assert_lt(overflows, blocks, "every block ended by the idle escape: %s", json);
    cr_assert_leq(json_number(json, "peak_charged_bytes"), json_number(json, "mem_high") + MESSAGE, "%s", json);
    const double receptions = json_number(json, "memctl_receptions");
    cr_assert_gt(receptions, 0, "%s", json);
    cr_assert_eq(json_number(json, "memctl_releases"), receptions, "%s", json);
    free(json);
}

/* Random capacities between the plan's least and the free peak, dense and
 * BLR, 3 and 4 ranks: completed runs stay under --node-mem with the
 * unconstrained backward error, and none hangs (the timeout).  The seed
 * is printed; BLRCHOL_TEST_SEED replays it. */
Test(memctl_blr, random_tight_capacities, .timeout = 1200)
{
    const char *given = getenv("BLRCHOL_TEST_SEED");
    const unsigned seed = given ? (unsigned)strtoul(given, NULL, 10) : (unsigned)time(NULL);
    srand(seed);
    fprintf(stderr, "memctl_blr/random_tight_capacities: seed %u (BLRCHOL_TEST_SEED=%u replays it)\n", seed, seed);
    const char *problems[] = {"-n 4000 --nb 200 --eps 1e-8 --check", "-n 4000 --nb 200 --dense --check"};
    for (int c = 0; c < 4; c++) {
        const char *problem = problems[c % 2];
        const int ranks = c < 2 ? 3 : 4;
        char args[512];
        snprintf(args, sizeof args, "%s --no-memctl", problem);
        char *free_run = run_blrchol_json(ranks, args, 0);
        const double reference = json_number(free_run, "backward_error");
        const double free_peak = json_number(free_run, "peak_total_bytes");
        free(free_run);
        snprintf(args, sizeof args, "%s --plan", problem);
        for (char *check = strstr(args, " --check"); check; check = NULL)
            memmove(check, check + 8, strlen(check + 8) + 1);
        char *plan = run_blrchol_json(ranks, args, 0);
        const double least = json_number(plan, "plan_node_mem");
        free(plan);
        const double low = fmin(least, free_peak), node_mem = low + (free_peak - low) * rand() / RAND_MAX;
        snprintf(args, sizeof args, "%s --node-mem %.0f --quiet --json -", problem, node_mem);
        char *output = NULL;
        const int status = run_blrchol(ranks, args, &output);
        cr_assert(status == 0 || status == 3, "seed %u, %d ranks, %s: exit %d: %s", seed, ranks, args, status, output);
        if (status == 0) {
            cr_assert_leq(json_number(output, "peak_total_bytes"), node_mem, "seed %u, %s: %s", seed, args, output);
            const double be = json_number(output, "backward_error");
            cr_assert(fabs(be - reference) <= 1e-6 * reference, "seed %u, %s: %g vs %g", seed, args, be, reference);
        }
        free(output);
    }
}
