/*
 * The solver end to end under mpirun, dense mode: accuracy against the
 * exact matrix, agreement across process grids, and against a LAPACK solve
 * done here on the same matrix.
 */
#include <criterion/criterion.h>
#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "bem/bem.h"
#include "tests/support.h"

/* Run, expect success, return the JSON text (caller frees). */
static char *solve_ok(int ranks, const char *args)
{
    char *json = run_blrchol_json(ranks, args, 0);
    cr_assert(json_has_string(json, "status", "ok"), "%s", json);
    return json;
}

static void dense_backward_error(const char *kernel, int ranks, const char *grid)
{
    char args[256];
    snprintf(args, sizeof args, "-n 3000 --nb 256 --kernel %s --dense --check %s", kernel, grid);
    char *json = solve_ok(ranks, args);
    double backward_error = json_number(json, "backward_error");
    cr_assert(backward_error < 1e-12, "%s on %d ranks %s: backward error %g", kernel, ranks, grid, backward_error);
    cr_assert_eq(json_number(json, "nt"), 12);
    cr_assert_eq(json_number(json, "ranks"), ranks);
    free(json);
}

Test(solver_dense, laplace_1_rank, .timeout = 300) { dense_backward_error("laplace", 1, ""); }
Test(solver_dense, laplace_2_ranks, .timeout = 300) { dense_backward_error("laplace", 2, ""); }
Test(solver_dense, hermitian_4_ranks, .timeout = 300) { dense_backward_error("hermitian", 4, ""); }
Test(solver_dense, helmholtz_4_ranks_1x4, .timeout = 300) { dense_backward_error("helmholtz", 4, "-P 1"); }
Test(solver_dense, helmholtz_2_ranks, .timeout = 300) { dense_backward_error("helmholtz", 2, ""); }

/* The same problem on several grids gives the same solution to rounding. */
Test(solver_dense, same_solution_on_every_grid, .timeout = 600)
{
    const int n = 1500;
    struct { int ranks; const char *grid; } runs[] = {{1, ""}, {2, "-P 2"}, {4, "-P 2"}, {4, "-P 4"}, {3, "-P 1"}};
    double *reference = NULL;
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        char solution[64], args[256];
        temp_path(solution, sizeof solution, ".txt");
        snprintf(args, sizeof args, "-n %d --nb 200 --kernel hermitian --dense %s --solution %s", n, runs[r].grid,
                 solution);
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

/* Independent reference: LAPACK dposv on the dense matrix assembled here. */
Test(solver_dense, matches_lapack_solve, .timeout = 300)
{
    const int n = 700;
    char solution[64], args[256];
    temp_path(solution, sizeof solution, ".txt");
    snprintf(args, sizeof args, "-n %d --nb 128 --geometry cylinder --kernel laplace --dense --seed 7 --solution %s "
             "--rhs-out %s.b", n, solution, solution);
    free(solve_ok(2, args));
    double *x = read_vector(solution, n, 0);
    char b_path[80];
    snprintf(b_path, sizeof b_path, "%s.b", solution);
    double *b = read_vector(b_path, n, 0);
    unlink(solution);
    unlink(b_path);
    cr_assert_not_null(x);
    cr_assert_not_null(b);

    bem_problem_t p;
    cr_assert_eq(bem_problem_init(&p, n, BEM_CYLINDER, BEM_LAPLACE), 0);
    int *all = malloc(n * sizeof *all);
    for (int k = 0; k < n; k++)
        all[k] = k;
    double *a = malloc((size_t)n * n * sizeof *a);
    bem_assemble_d(&p, all, n, all, n, a, n);
    cr_assert_eq(LAPACKE_dposv(LAPACK_COL_MAJOR, 'L', n, 1, a, n, b, n), 0);
    double diff = 0, norm = 0;
    for (int k = 0; k < n; k++) {
        diff += (x[k] - b[k]) * (x[k] - b[k]);
        norm += b[k] * b[k];
    }
    cr_assert(sqrt(diff / norm) < 1e-11, "relative difference to LAPACK %g", sqrt(diff / norm));
    free(a);
    free(all);
    free(x);
    free(b);
    bem_problem_free(&p);
}
