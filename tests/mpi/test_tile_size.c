/*
 * The tile size blrchol picks without --nb: the library's rule against the
 * one the user guide documents (tests/support.c works it out from the
 * text), at sizes from a hundred unknowns to millions; and through the
 * command, that the run uses and reports it (nb, nb_auto, nt) and that
 * --nb overrides it.  (test_cli_errors.c checks it on problems refused
 * for their size.)
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
    const int sizes[] = {100, 1000, 3000, 6000, 20000, 50000, 100000, 400000, 3000000};
    const double tolerances[] = {1e-2, 1e-4, 1e-6, 1e-8, 1e-12};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        const int n = sizes[i];
        cr_expect_eq(blrchol_default_nb(n, 1, 1e-8), documented_nb(n, 1, 1e-8), "dense, n %d", n);
        for (size_t j = 0; j < sizeof tolerances / sizeof *tolerances; j++) {
            const double eps = tolerances[j];
            cr_expect_eq(blrchol_default_nb(n, 0, eps), documented_nb(n, 0, eps), "n %d, eps %g", n, eps);
        }
    }
}

static void expect_nb(const char *json, int nb, int automatic, const char *args)
{
    cr_expect_eq(json_number(json, "nb"), nb, "%s: nb %g, not %d", args, json_number(json, "nb"), nb);
    cr_expect(strstr(json, automatic ? "\"nb_auto\": true" : "\"nb_auto\": false"), "%s: nb_auto is not %s", args,
              automatic ? "true" : "false");
    cr_expect_eq(json_number(json, "nt"), ceil(json_number(json, "n") / nb), "%s: nt", args);
}

Test(tile_size, the_command_uses_the_rule_unless_nb_is_given, .timeout = 120)
{
    const char *args[] = {"-n 1000 --eps 1e-4", "-n 6000 --eps 1e-12", "-n 3000 --dense"};
    const double n[] = {1000, 6000, 3000}, eps[] = {1e-4, 1e-12, 0};
    for (int k = 0; k < 3; k++) {
        char *json = run_blrchol_json(2, args[k], 0);
        expect_nb(json, documented_nb(n[k], eps[k] == 0, eps[k] ? eps[k] : 1e-8), 1, args[k]);
        free(json);
    }
    char *json = run_blrchol_json(2, "-n 1000 --eps 1e-4 --nb 300", 0);
    expect_nb(json, 300, 0, "--nb 300");
    free(json);
}
