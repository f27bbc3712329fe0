/*
 * --save-factor / --load-factor: a loaded factor gives exactly the solution
 * of the run that saved it, without factorising; a factor is refused for
 * another grid, another matrix or format version, and a directory whose
 * save did not complete (no metadata) or whose tiles are truncated does
 * not load.  Each refusal is exit 2 with a message.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

#define PROBLEM "-n 2500 --nb 256 --eps 1e-8"

static int run(int ranks, const char *args, char **output)
{
    char *text = NULL;
    int status = run_blrchol(ranks, args, &text);
    if (output)
        *output = text;
    else
        free(text);
    return status;
}

Test(factor_file, saved_factor_solves_like_the_run_that_made_it, .timeout = 600)
{
    char dir[64] = "/tmp/blrchol-factor-XXXXXX", args[512], saved[64], loaded[64], json[64];
    cr_assert_not_null(mkdtemp(dir));
    temp_path(saved, sizeof saved, ".txt");
    temp_path(loaded, sizeof loaded, ".txt");
    temp_path(json, sizeof json, ".json");

    snprintf(args, sizeof args, PROBLEM " --save-factor %s/f --solution %s --quiet", dir, saved);
    char *output = NULL;
    cr_assert_eq(run(4, args, &output), 0, "%s", output);
    free(output);
    snprintf(args, sizeof args, PROBLEM " --load-factor %s/f --solution %s --check --quiet --json %s", dir, loaded,
             json);
    cr_assert_eq(run(4, args, &output), 0, "%s", output);
    free(output);
    char *a = slurp(saved), *b = slurp(loaded), *result = slurp(json);
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    cr_assert_str_eq(a, b, "the loaded factor gives another solution");
    cr_assert_eq(json_number(result, "time_factor"), 0, "%s", result);
    cr_assert_gt(json_number(result, "time_load"), 0, "%s", result);
    cr_assert_lt(json_number(result, "backward_error"), 1e-7, "%s", result);
    free(a);
    free(b);
    free(result);

    /* Another grid, another matrix. */
    snprintf(args, sizeof args, PROBLEM " --load-factor %s/f", dir);
    expect_usage_error(2, args, "the factor was made on 4 ranks (2x2), this run has 2");
    snprintf(args, sizeof args, PROBLEM " -P 1 --load-factor %s/f", dir);
    expect_usage_error(4, args, "the factor was made on 4 ranks (2x2), this run has 4 (1x4)");
    snprintf(args, sizeof args, "-n 2600 --nb 256 --load-factor %s/f", dir);
    expect_usage_error(4, args, "the factor is of another matrix");
    snprintf(args, sizeof args, PROBLEM " --diagonal-shift 0.5 --load-factor %s/f", dir);
    expect_usage_error(4, args, "different points or parameters");
    snprintf(args, sizeof args, PROBLEM " --geometry cylinder --load-factor %s/f", dir);
    expect_usage_error(4, args, "the factor is of another matrix");

    /* Another format version. */
    char path[128], command[256];
    snprintf(command, sizeof command, "sed -i.orig 's/^blrchol-factor [0-9]*$/blrchol-factor 99/' %s/f/factor.meta",
             dir);
    cr_assert_eq(system(command), 0);
    expect_usage_error(4, args, "factor format version 99");
    snprintf(command, sizeof command, "mv %s/f/factor.meta.orig %s/f/factor.meta", dir, dir);
    cr_assert_eq(system(command), 0);

    /* A truncated tile file. */
    snprintf(path, sizeof path, "%s/f/rank-3.tiles", dir);
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    cr_assert_eq(truncate(path, size - 100), 0);
    snprintf(args, sizeof args, PROBLEM " --load-factor %s/f", dir);
    expect_usage_error(4, args, "rank-3.tiles: truncated tile file");

    /* A save that never completed: no metadata. */
    snprintf(path, sizeof path, "%s/f/factor.meta", dir);
    cr_assert_eq(unlink(path), 0);
    expect_usage_error(4, args, "no factor here");
    snprintf(args, sizeof args, PROBLEM " --load-factor %s/nowhere", dir);
    expect_usage_error(4, args, "no factor here");

    snprintf(command, sizeof command, "rm -rf %s", dir);
    cr_assert_eq(system(command), 0);
    unlink(saved);
    unlink(loaded);
    unlink(json);
}
