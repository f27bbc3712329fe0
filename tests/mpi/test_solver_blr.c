/*
 * The BLR solver end to end under mpirun: backward error against the exact
 * matrix within 10 eps, compression actually happening, and the same
 * solution on every process grid.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/support.h"

/* Run, expect success, return the JSON text (caller frees). */
static char *solve_ok(int ranks, const char *args)
{
    char *json = run_blrchol_json(ranks, args, 0);
    cr_assert(json_has_string(json, "status", "ok"), "%s", json);
    return json;
}

static void blr_accuracy(const char *kernel, double eps, int ranks, const char *grid, const char *compress)
{
    char args[256];
    snprintf(args, sizeof args, "-n 3000 --nb 200 --kernel %s --eps %g --compress %s --check %s", kernel, eps,
             compress, grid);
    char *json = solve_ok(ranks, args);
    double backward_error = json_number(json, "backward_error");
    double ratio = json_number(json, "compression_ratio");
    cr_assert(backward_error <= 10 * eps, "%s eps %g on %d ranks %s: backward error %g", kernel, eps, ranks, grid,
              backward_error);
    /* 3000 unknowns in tiles of 200: the factor must be well under dense. */
    cr_assert(ratio < 0.8, "%s eps %g: factor is %.0f%% of dense", kernel, eps, 100 * ratio);
    free(json);
}

Test(solver_blr, laplace_eps4_1_rank, .timeout = 300) { blr_accuracy("laplace", 1e-4, 1, "", "aca"); }
Test(solver_blr, laplace_eps8_2_ranks, .timeout = 300) { blr_accuracy("laplace", 1e-8, 2, "", "aca"); }
Test(solver_blr, laplace_eps8_svd_4_ranks, .timeout = 300) { blr_accuracy("laplace", 1e-8, 4, "", "svd"); }
Test(solver_blr, hermitian_eps4_4_ranks, .timeout = 300) { blr_accuracy("hermitian", 1e-4, 4, "", "aca"); }
Test(solver_blr, hermitian_eps8_2_ranks, .timeout = 300) { blr_accuracy("hermitian", 1e-8, 2, "", "aca"); }
Test(solver_blr, helmholtz_eps4_2_ranks, .timeout = 300) { blr_accuracy("helmholtz", 1e-4, 2, "", "aca"); }
Test(solver_blr, helmholtz_eps8_4_ranks_1x4, .timeout = 300) { blr_accuracy("helmholtz", 1e-8, 4, "-P 1", "aca"); }

/* Every grid runs the same kernels on the same tiles in the same order
 * per tile: the solutions agree to rounding. */
Test(solver_blr, same_solution_on_every_grid, .timeout = 600)
{
    const int n = 2500;
    struct { int ranks; const char *grid; } runs[] = {{1, ""}, {2, "-P 1"}, {4, "-P 2"}, {4, "-P 4"}};
    double *reference = NULL;
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        char solution[64], args[256];
        temp_path(solution, sizeof solution, ".txt");
        snprintf(args, sizeof args, "-n %d --nb 160 --kernel helmholtz --eps 1e-6 %s --solution %s", n,
                 runs[r].grid, solution);
        free(solve_ok(runs[r].ranks, args));
        double *x = read_vector(solution, n, 1);
        unlink(solution);
        cr_assert_not_null(x);
        if (!reference) {
            reference = x;
            continue;
        }
        double diff = 0, norm = 0;
        for (int k = 0; k < 2 * n; k++) {
            diff += (x[k] - reference[k]) * (x[k] - reference[k]);
            norm += reference[k] * reference[k];
        }
        cr_assert(sqrt(diff / norm) < 1e-12, "grid %d ranks %s differs by %g", runs[r].ranks, runs[r].grid,
                  sqrt(diff / norm));
        free(x);
    }
    free(reference);
}
