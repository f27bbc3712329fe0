/*
 * Right-hand sides: --nrhs K solves K columns with one factorisation and
 * gives exactly the solutions of K separate runs (one column each, same
 * factor); a malformed or short --rhs file is a usage error naming the
 * file and line.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

#define N 1500
#define K 3

/* A file of N lines; `columns` values per line from a fixed formula. */
static void write_rhs(const char *path, int first, int columns, int is_complex)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < N; i++) {
        for (int k = first; k < first + columns; k++) {
            double re = 0.5 + 0.3 * ((i * 7 + k * 13) % 11) - 0.1 * k, im = 0.01 * ((i + k) % 5);
            if (is_complex)
                fprintf(f, "%.17g %.17g%s", re, im, k + 1 < first + columns ? " " : "\n");
            else
                fprintf(f, "%.17g%s", re, k + 1 < first + columns ? " " : "\n");
        }
    }
    fclose(f);
}

static void solve(const char *kernel, const char *rhs, int nrhs, const char *solution)
{
    char args[512];
    snprintf(args, sizeof args, "-n %d --nb 256 --eps 1e-10 --kernel %s --nrhs %d --rhs %s --solution %s --quiet", N,
             kernel, nrhs, rhs, solution);
    char *output = NULL;
    int status = run_blrchol(2, args, &output);
    cr_assert_eq(status, 0, "blrchol %s exited %d:\n%s", args, status, output);
    free(output);
}

static void same_as_separate_solves(const char *kernel, int is_complex)
{
    char rhs[64], solution[64];
    temp_path(rhs, sizeof rhs, ".txt");
    temp_path(solution, sizeof solution, ".txt");
    write_rhs(rhs, 0, K, is_complex);
    solve(kernel, rhs, K, solution);
    char *together = slurp(solution);
    cr_assert_not_null(together);
    /* Column k of every line of the K-column solution against the
     * one-column runs. */
    char *separate[K];
    for (int k = 0; k < K; k++) {
        write_rhs(rhs, k, 1, is_complex);
        solve(kernel, rhs, 1, solution);
        separate[k] = slurp(solution);
        cr_assert_not_null(separate[k]);
    }
    char *line_state, *line = strtok_r(together, "\n", &line_state);
    char *cursor[K];
    for (int k = 0; k < K; k++)
        cursor[k] = separate[k];
    for (int i = 0; i < N; i++, line = strtok_r(NULL, "\n", &line_state)) {
        cr_assert_not_null(line, "line %d missing", i + 1);
        char expected[512] = "";
        for (int k = 0; k < K; k++) {
            char *end = strchr(cursor[k], '\n');
            cr_assert_not_null(end);
            strncat(expected, cursor[k], (size_t)(end - cursor[k]));
            if (k + 1 < K)
                strcat(expected, " ");
            cursor[k] = end + 1;
        }
        cr_assert_str_eq(line, expected, "line %d", i + 1);
    }
    free(together);
    for (int k = 0; k < K; k++)
        free(separate[k]);
    unlink(rhs);
    unlink(solution);
}

Test(rhs, several_right_hand_sides_real, .timeout = 300) { same_as_separate_solves("laplace", 0); }
Test(rhs, several_right_hand_sides_complex, .timeout = 300) { same_as_separate_solves("hermitian", 1); }

Test(rhs, bad_files_are_usage_errors, .timeout = 120)
{
    char rhs[64], args[256], expected[128];
    temp_path(rhs, sizeof rhs, ".txt");
    FILE *f = fopen(rhs, "w");
    fputs("1\n2\n3\n", f);
    fclose(f);
    snprintf(args, sizeof args, "-n 500 --nb 100 --rhs %s", rhs);
    snprintf(expected, sizeof expected, "%s:3: 3 lines of values for n = 500", rhs);
    expect_usage_error(1, args, expected);
    f = fopen(rhs, "w");
    fputs("1\n2 3\n", f);
    fclose(f);
    snprintf(expected, sizeof expected, "%s:2: expected 1 value(s) per line", rhs);
    expect_usage_error(1, args, expected);
    snprintf(args, sizeof args, "-n 500 --nb 100 --nrhs 2 --rhs %s", rhs);
    snprintf(expected, sizeof expected, "%s:1: expected 2 value(s) per line", rhs);
    expect_usage_error(1, args, expected);
    f = fopen(rhs, "w");
    fputs("1\nx\n", f);
    fclose(f);
    snprintf(args, sizeof args, "-n 500 --nb 100 --rhs %s", rhs);
    snprintf(expected, sizeof expected, "%s:2: expected 1 value(s) per line", rhs);
    expect_usage_error(1, args, expected);
    expect_usage_error(1, "--nrhs 0", "--nrhs must be an integer in 1..100000");
    unlink(rhs);
}
