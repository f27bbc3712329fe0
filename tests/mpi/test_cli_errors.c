/* Bad input gets one clear line and exit code 2, never a crash. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/blrchol.h"
#include "tests/support.h"

Test(cli, unknown_option, .timeout = 60) { expect_usage_error(1, "--frobnicate", "unknown option '--frobnicate'"); }
Test(cli, unknown_kernel, .timeout = 60) { expect_usage_error(1, "--kernel yukawa", "unknown kernel 'yukawa'"); }
Test(cli, unknown_geometry, .timeout = 60) { expect_usage_error(1, "--geometry torus", "unknown geometry 'torus'"); }
Test(cli, n_below_one, .timeout = 60) { expect_usage_error(1, "-n 0", "-n must be a positive integer"); }
Test(cli, nb_below_one, .timeout = 60) { expect_usage_error(1, "--nb -3", "--nb must be a positive integer"); }
Test(cli, missing_value, .timeout = 60) { expect_usage_error(1, "--eps", "missing value for option"); }
Test(cli, bad_eps, .timeout = 60) { expect_usage_error(1, "--eps 2", "--eps must be a number in (0, 1)"); }
Test(cli, bad_task_window, .timeout = 60) { expect_usage_error(1, "--task-window -5", "--task-window must be a non-negative integer"); }
Test(cli, mem_low_above_mem_high, .timeout = 60)
{
    expect_usage_error(1, "--mem-high 10M --mem-low 20M", "--mem-low 20M is above --mem-high 10M");
}
Test(cli, grid_rows_not_dividing, .timeout = 60) { expect_usage_error(3, "-n 2000 -P 2", "does not divide the 3 ranks"); }
Test(cli, more_ranks_than_tiles, .timeout = 60) { expect_usage_error(4, "-n 100 --nb 100", "4 ranks for only 1 tiles"); }
Test(cli, not_positive_definite, .timeout = 120)
{
    expect_usage_error(2, "-n 1000 --nb 200 --dense --diagonal-shift -1", "not positive definite: POTRF failed on diagonal tile 0");
}

Test(cli, help_lists_every_option, .timeout = 60)
{
    char *output = NULL;
    cr_assert_eq(run_blrchol(1, "--help", &output), 0);
    const char *options[] = {"--n", "--geometry", "--kernel", "--nb", "--grid-rows", "--dense", "--eps", "--compress",
                             "--check", "--json", "--seed", "--quiet", "--node-mem", "--mem-high", "--mem-low",
                             "--growth-margin", "--no-memctl", "--no-step-sync", "--trace", "--solution", "--diagonal-shift",
                             "--reserve", "--plan", "--version"};
    for (size_t k = 0; k < sizeof options / sizeof options[0]; k++)
        cr_assert(strstr(output, options[k]), "--help does not mention %s", options[k]);
    free(output);
}

Test(cli, version_is_the_header_version, .timeout = 60)
{
    char *output = NULL;
    cr_assert_eq(run_blrchol(1, "--version", &output), 0);
    cr_assert(strstr(output, "blrchol " BLRCHOL_VERSION "\n"), "%s", output);
    free(output);
}

/* A problem that cannot fit is refused before anything is built (a typo
 * in -n must not take the node): exit 3 within seconds, status oom in the
 * JSON, the least memory per rank stated as the closed form gives it:
 * (n nb + nt (nt - 1) nb) 8 bytes / ranks for the tiles, 40 n for the
 * points, weights and permutation. */
static void expect_refused(const char *args, double least_gib, const char *available)
{
    char path[64], command[256], *output = NULL;
    temp_path(path, sizeof path, ".json");
    snprintf(command, sizeof command, "./blrchol %s --json %s", args, path);
    cr_assert_eq(run_mpi(2, command, &output), 3, "%s: %s", args, output);
    char figure[64];
    snprintf(figure, sizeof figure, "needs at least %.1f GiB per rank on 2 ranks", least_gib);
    cr_assert(strstr(output, figure), "%s: no '%s' in %s", args, figure, output);
    cr_assert(strstr(output, available), "%s: no '%s' in %s", args, available, output);
    free(output);
    char *json = slurp(path);
    unlink(path);
    cr_assert(json && json_has_string(json, "status", "oom"), "%s: %s", args, json ? json : "no JSON");
    free(json);
}

static double least_gib(double n, double nb)
{
    const double nt = ceil(n / nb);
    return ((n * nb + nt * (nt - 1) * nb) * 8 / 2 + 40 * n) / 1073741824.0;
}

Test(cli, a_problem_that_cannot_fit_is_refused_at_once, .timeout = 60)
{
    expect_refused("-n 1000000000", least_gib(1e9, documented_nb(1e9, 0)), "the node's memory shared by its ranks");
    expect_refused("-n 200000 --node-mem 64M", least_gib(2e5, documented_nb(2e5, 0)), "--node-mem");
    expect_refused("-n 200000 --nb 512 --node-mem 64M", least_gib(2e5, 512), "--node-mem");
}
