/*
 * The library from a user's side: examples/user_kernel.c, a Laplace kernel
 * written by the user against include/blrchol.h only, must give the
 * solution the command gives with its built-in kernel of the same formula
 * (docs/design/reference-matrices.md, laplace on the Fibonacci sphere) for the same b, the
 * unit potential (--rhs constant); and
 * the explicit runtime options of
 * blrchol_init_with must win over the BLRCHOL_* variables, which apply
 * when none is given; and
 * `make install` must give a header, libraries and a pkg-config file with
 * which the example builds and runs.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support.h"

#define N 3000

/* The mean of x, read from user_kernel's "mean charge density" line. */
static double reported_mean(const char *output)
{
    const char *at = output ? strstr(output, "mean charge density ") : NULL;
    return at ? atof(at + strlen("mean charge density ")) : NAN;
}

Test(library, user_kernel_matches_the_builtin_kernel, .timeout = 300)
{
    char x_cli[256], x_lib[256], args[1024];
    temp_path(x_cli, sizeof x_cli, ".x");
    temp_path(x_lib, sizeof x_lib, ".x");

    char *output = NULL;
    snprintf(args, sizeof args, "-n %d --geometry sphere --kernel laplace --rhs constant --solution %s", N, x_cli);
    cr_assert_eq(run_blrchol(2, args, &output), 0, "%s", output);
    free(output);
    snprintf(args, sizeof args, "build/user_kernel %d %s", N, x_lib);
    cr_assert_eq(run_mpi(2, args, &output), 0, "%s", output);
    cr_assert(strstr(output, "my-laplace"), "the report names the user's kernel:\n%s", output);

    double *a = read_vector(x_cli, N, 0), *b = read_vector(x_lib, N, 0);
    cr_assert(a && b);
    double diff = 0, norm = 0, mean = 0;
    for (int i = 0; i < N; i++) {
        diff = fmax(diff, fabs(a[i] - b[i]));
        norm = fmax(norm, fabs(a[i]));
        mean += b[i] / N;
    }
    /* Same entries, same clustering, same truncations: equal up to the
     * order of floating-point sums. */
    cr_assert_lt(diff, 1e-10 * norm, "max |x_lib - x_cli| = %g (max |x| %g)", diff, norm);
    /* The charge density of the unit potential on the unit sphere is 1
     * (closed form); point collocation is within a few per cent. */
    cr_assert_lt(fabs(mean - 1), 0.02, "mean density %g", mean);
    cr_assert_float_eq(reported_mean(output), mean, 1e-5);
    free(output);
    free(a);
    free(b);
    unlink(x_cli), unlink(x_lib);
}

static int shell(const char *command)
{
    int status = system(command);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(library, installed_with_pkg_config_the_example_builds_and_runs, .timeout = 300)
{
    char prefix[] = "/tmp/blrchol-install-XXXXXX", command[2048];
    cr_assert_not_null(mkdtemp(prefix));
    snprintf(command, sizeof command, "make -s --no-print-directory install PREFIX=%s > %s/make.log 2>&1", prefix,
             prefix);
    cr_assert_eq(shell(command), 0, "make install failed: see %s/make.log", prefix);
    const char *installed[] = {"bin/blrchol", "include/blrchol.h", "lib/libblrchol.a", "lib/libblrchol.so",
                               "lib/pkgconfig/blrchol.pc"};
    for (size_t k = 0; k < sizeof installed / sizeof *installed; k++) {
        snprintf(command, sizeof command, "%s/%s", prefix, installed[k]);
        cr_assert_eq(access(command, R_OK), 0, "%s missing", command);
    }

    /* A user's build: the installed header and library only (not -I.). */
    snprintf(command, sizeof command,
             "cd %s && PKG_CONFIG_PATH=%s/lib/pkgconfig mpicc examples/user_kernel.c "
             "$(PKG_CONFIG_PATH=%s/lib/pkgconfig pkg-config --cflags --libs blrchol) -lm -o %s/user_kernel "
             "> %s/cc.log 2>&1",
             getcwd((char[4096]){0}, 4096), prefix, prefix, prefix, prefix);
    cr_assert_eq(shell(command), 0, "the example did not build: see %s/cc.log", prefix);
    snprintf(command, sizeof command, "ldd %s/user_kernel | grep -q '%s/lib/libblrchol.so'", prefix, prefix);
    /* ldd resolves through LD_LIBRARY_PATH: set it for the check too. */
    char with_path[2300];
    snprintf(with_path, sizeof with_path, "LD_LIBRARY_PATH=%s/lib %s", prefix, command);
    cr_assert_eq(shell(with_path), 0, "the example is not linked with the shared libblrchol");

    char *output = NULL;
    snprintf(command, sizeof command, "-x LD_LIBRARY_PATH=%s/lib %s/user_kernel 1500", prefix, prefix);
    cr_assert_eq(run_mpi(2, command, &output), 0, "%s", output);
    cr_assert_lt(fabs(reported_mean(output) - 1), 0.03, "%s", output);
    double error = NAN;
    const char *at = strstr(output, "backward error: ");
    if (at)
        error = atof(at + strlen("backward error: "));
    cr_assert_lt(error, 1e-7, "%s", output);
    free(output);
    snprintf(command, sizeof command, "rm -rf %s", prefix);
    shell(command);
}

/* The runtime options in force, from the JSON of a small run of the
 * command (which hands --task-window, --binding and --mpi-polling to
 * blrchol_init_with) under the BLRCHOL_* variables of `environment`. */
static char *runtime_in_force(const char *environment, const char *options)
{
    char json_path[64], command[1024];
    temp_path(json_path, sizeof json_path, ".json");
    snprintf(command, sizeof command, "%s ./blrchol -n 1000 --nb 250 --quiet --json %s %s", environment, json_path,
             options);
    char *output = NULL;
    cr_assert_eq(run_mpi(2, command, &output), 0, "%s:\n%s", command, output);
    free(output);
    char *json = slurp(json_path);
    unlink(json_path);
    cr_assert_not_null(json, "no JSON from %s", command);
    return json;
}

#define ENVIRONMENT "-x BLRCHOL_TASK_WINDOW=500 -x BLRCHOL_BINDING=starpu -x BLRCHOL_MPI_POLLING=nap"

Test(library, runtime_options_fall_back_to_the_environment, .timeout = 120)
{
    char *json = runtime_in_force(ENVIRONMENT, "");
    cr_assert_eq(json_number(json, "task_window"), 500, "%s", json);
    cr_assert(json_has_string(json, "binding", "starpu"), "%s", json);
    cr_assert(json_has_string(json, "mpi_polling", "nap"), "%s", json);
    free(json);
}

Test(library, explicit_runtime_options_win_over_the_environment, .timeout = 120)
{
    char *json = runtime_in_force(ENVIRONMENT, "--task-window 700 --binding auto --mpi-polling spin");
    cr_assert_eq(json_number(json, "task_window"), 700, "%s", json);
    cr_assert(!json_has_string(json, "binding", "starpu") && !json_has_string(json, "binding", "user"), "%s", json);
    cr_assert(json_has_string(json, "mpi_polling", "spin"), "%s", json);
    free(json);

    json = runtime_in_force("-x BLRCHOL_BINDING=auto -x BLRCHOL_MPI_POLLING=spin",
                            "--binding starpu --mpi-polling nap");
    cr_assert(json_has_string(json, "binding", "starpu"), "%s", json);
    cr_assert(json_has_string(json, "mpi_polling", "nap"), "%s", json);
    free(json);
}
