/*
 * The tile size blrchol picks without --nb: the library's rule against the
 * one the user guide documents (tests/support.c works it out from the
 * text), at sizes from a hundred unknowns to millions; and through the
 * command, that a run uses and reports it (nb, nb_auto, nt), that a
 * problem refused for its size was sized with it, and that --nb
 * overrides it.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/blrchol.h"
#include "tests/support.h"

Test(tile_size, the_library_follows_the_documented_rule)
{
    const int sizes[] = {100, 1000, 3000, 6000, 20000, 23000, 35000, 50000, 100000, 200000, 400000, 3000000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        cr_expect_eq(blrchol_default_nb(sizes[i], 0), documented_nb(sizes[i], 0), "n %d", sizes[i]);
        cr_expect_eq(blrchol_default_nb(sizes[i], 1), documented_nb(sizes[i], 1), "dense, n %d", sizes[i]);
    }
}

static void expect_nb(const char *json, int nb, int automatic, const char *args)
{
    cr_expect_eq(json_number(json, "nb"), nb, "%s: nb %g, not %d", args, json_number(json, "nb"), nb);
    cr_expect(strstr(json, automatic ? "\"nb_auto\": true" : "\"nb_auto\": false"), "%s: nb_auto is not %s", args,
              automatic ? "true" : "false");
}

Test(tile_size, the_command_uses_the_rule_unless_nb_is_given, .timeout = 120)
{
    const char *args[] = {"-n 1000 --eps 1e-4", "-n 3000 --dense", "-n 6000 --eps 1e-4"};
    const double n[] = {1000, 3000, 6000};
    const int dense[] = {0, 1, 0};
    for (int k = 0; k < 3; k++) {
        char *json = run_blrchol_json(2, args[k], 0);
        const int nb = documented_nb(n[k], dense[k]);
        expect_nb(json, nb, 1, args[k]);
        cr_expect_eq(json_number(json, "nt"), ceil(n[k] / nb), "%s: nt", args[k]);
        free(json);
    }
    char *json = run_blrchol_json(2, "-n 1000 --eps 1e-4 --nb 300", 0);
    expect_nb(json, 300, 0, "--nb 300");
    free(json);
}

/* Larger problems through the command, refused at once for a tiny
 * --node-mem: the report still says which nb they would have had. */
Test(tile_size, a_refused_problem_reports_the_rule_s_nb, .timeout = 60)
{
    const char *args[] = {"-n 30000 --node-mem 1M", "-n 200000 --node-mem 1M", "-n 200000 --node-mem 1M --nb 700"};
    const int nb[] = {documented_nb(30000, 0), documented_nb(200000, 0), 700};
    for (int k = 0; k < 3; k++) {
        char *json = run_blrchol_json(2, args[k], 3);
        expect_nb(json, nb[k], k < 2, args[k]);
        free(json);
    }
}
