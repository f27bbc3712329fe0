/*
 * ACA's a posteriori check end to end under mpirun: the squared-exponential
 * covariance on a regular 2D grid, whose tiles partial-pivoting ACA misses
 * in part, solves with the default options (the check sends those tiles to
 * the SVD and the report counts them); and the message of a failed POTRF
 * says what to try, in the right order for the compression used.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support.h"

/* The off-diagonal tiles of the lower triangle, from the report. */
static double offdiagonal_tiles(const char *json)
{
    const double nt = json_number(json, "nt");
    return nt * (nt - 1) / 2;
}

/* Default options (ACA, eps 1e-8, nb 512) on 2 ranks: solved within
 * 10 eps, with every tile accounted for and some of them sent to the SVD
 * by the check.  N 5000 is the least where ACA alone failed: its tiles up
 * to 1e6 tol wrong gave a backward error of 1e-6 (from 6000 on, POTRF
 * failed). */
Test(compress_check, sqexp_grid2d_default_options, .timeout = 600)
{
    char *json = run_blrchol_json(2, "-n 5000 --kernel sqexp --geometry grid2d --check", 0);
    cr_assert(json_has_string(json, "status", "ok"), "%s", json);
    const double eps = json_number(json, "eps"), backward_error = json_number(json, "backward_error");
    cr_assert(backward_error <= 10 * eps, "backward error %g, eps %g", backward_error, eps);
    const double aca = json_number(json, "compress_aca_tiles"), svd = json_number(json, "compress_fallback_tiles"),
                 rejected = json_number(json, "compress_fallbacks");
    cr_assert_eq(aca + svd, offdiagonal_tiles(json), "%g by ACA + %g by SVD, of %g tiles", aca, svd,
                 offdiagonal_tiles(json));
    cr_assert(rejected >= 1 && rejected <= svd, "%g tiles failed the check, %g went to the SVD", rejected, svd);
    free(json);
}

/* A smooth kernel on a sphere: ACA's results pass their check, but for the
 * few whose error comes near tol, where the estimate's spread may put it
 * over (the price of the check: an SVD each). */
Test(compress_check, laplace_sphere_few_fallbacks, .timeout = 300)
{
    char *json = run_blrchol_json(2, "-n 3000 --nb 200 --kernel laplace --check", 0);
    cr_assert(json_has_string(json, "status", "ok"), "%s", json);
    const double aca = json_number(json, "compress_aca_tiles"), svd = json_number(json, "compress_fallback_tiles"),
                 rejected = json_number(json, "compress_fallbacks");
    cr_assert_eq(aca + svd, offdiagonal_tiles(json), "%s", json);
    cr_assert(rejected <= offdiagonal_tiles(json) / 20, "%g of %g tiles failed the check", rejected,
              offdiagonal_tiles(json));
    free(json);
}

/* The exponential covariance (--kernel exp), whose ranks grow faster than
 * sqexp's: solved within 10 eps against the exact matrix on the grid (ACA,
 * checked) and on the sphere (the exact truncation of --compress svd). */
static void exp_kernel_solves(const char *geometry, const char *compress)
{
    char args[160];
    snprintf(args, sizeof args, "-n 3000 --nb 200 --kernel exp --geometry %s --compress %s --check", geometry,
             compress);
    char *json = run_blrchol_json(2, args, 0);
    cr_assert(json_has_string(json, "status", "ok"), "%s", json);
    const double eps = json_number(json, "eps"), backward_error = json_number(json, "backward_error");
    cr_assert(backward_error <= 10 * eps, "exp on %s: backward error %g, eps %g", geometry, backward_error, eps);
    cr_assert(json_number(json, "compression_ratio") < 0.8, "exp on %s: no compression", geometry);
    free(json);
}

Test(compress_check, exp_grid2d_aca, .timeout = 300) { exp_kernel_solves("grid2d", "aca"); }
Test(compress_check, exp_sphere_svd, .timeout = 300) { exp_kernel_solves("sphere", "svd"); }

/* The error text of a run that must fail POTRF (a negative shift). */
static char *potrf_failure(const char *compress)
{
    char args[128], *output = NULL;
    snprintf(args, sizeof args, "-n 1000 --nb 200 --diagonal-shift -1 --compress %s", compress);
    cr_assert_eq(run_blrchol(2, args, &output), 2, "%s", output ? output : "");
    cr_assert(strstr(output, "not positive definite: POTRF failed on diagonal tile 0"), "%s", output);
    return output;
}

/* ACA: the fallbacks counted, --compress svd before --eps. */
Test(compress_check, potrf_message_aca, .timeout = 120)
{
    char *output = potrf_failure("aca");
    cr_assert(strstr(output, "0 of 10 ACA tiles exceeded their tolerance"), "%s", output);
    const char *svd = strstr(output, "try --compress svd"), *eps = strstr(output, "--eps");
    cr_assert(svd && eps && svd < eps, "%s", output);
    free(output);
}

/* SVD: nothing about ACA, a smaller --eps only. */
Test(compress_check, potrf_message_svd, .timeout = 120)
{
    char *output = potrf_failure("svd");
    cr_assert(!strstr(output, "--compress svd") && !strstr(output, "ACA"), "%s", output);
    cr_assert(strstr(output, "a smaller --eps may help"), "%s", output);
    free(output);
}
