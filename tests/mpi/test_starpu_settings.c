/*
 * StarPU and StarPU-MPI settings a user may plausibly change, and a lost
 * rank: each scheduler solves the problem with the default one's backward
 * error; a send window of 1 works and one of 0 (with which StarPU-MPI 1.3
 * never sends and 1.4 sends without limit) is refused at start, naming the
 * variable; a rank killed mid-run ends the whole job within 30 s.
 *
 * The StarPU line: the report gives the version configure read from the
 * headers and the settings blrchol decided (runtime/starpu_settings.c);
 * the tile interface does not compile once a method's type differs from
 * StarPU's; configure prefers the 1.4 pkg-config modules to 1.3's and says
 * which version it found (fake modules that point at the real StarPU), and
 * without pkg-config probes --with-starpu's include/starpu/1.X.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

#define PROBLEM "-n 3000 --nb 200 --quiet --check"

/* The JSON of ./blrchol PROBLEM on 2 ranks under `env` ("-x VAR=value"),
 * asserted a success (malloc'ed). */
static char *json_under(const char *env)
{
    char path[64], command[256], *output = NULL;
    temp_path(path, sizeof path, ".json");
    snprintf(command, sizeof command, "%s ./blrchol " PROBLEM " --json %s", env, path);
    cr_assert_eq(run_mpi(2, command, &output), 0, "%s: %s", env, output);
    free(output);
    char *json = slurp(path);
    unlink(path);
    cr_assert(json && json_has_string(json, "status", "ok"), "%s: %s", env, json ? json : "no JSON");
    return json;
}

/* backward_error of ./blrchol PROBLEM on 2 ranks under `env`. */
static double backward_error_under(const char *env)
{
    char *json = json_under(env);
    double be = json_number(json, "backward_error");
    free(json);
    return be;
}

Test(starpu_settings, every_scheduler_solves, .timeout = 300)
{
    const double reference = backward_error_under("");
    const char *schedulers[] = {"dmda", "lws", "eager", "prio"};
    for (size_t s = 0; s < sizeof schedulers / sizeof schedulers[0]; s++) {
        char env[64];
        snprintf(env, sizeof env, "-x STARPU_SCHED=%s", schedulers[s]);
        const double be = backward_error_under(env);
        cr_assert(fabs(be - reference) <= 1e-6 * reference, "%s: %g vs %g", schedulers[s], be, reference);
    }
}

Test(starpu_settings, send_window, .timeout = 300)
{
    const double reference = backward_error_under("");
    const double one = backward_error_under("-x STARPU_MPI_NDETACHED_SEND=1");
    cr_assert(fabs(one - reference) <= 1e-6 * reference, "%g vs %g", one, reference);
    char *output = NULL;
    cr_assert_eq(run_mpi(2, "-x STARPU_MPI_NDETACHED_SEND=0 ./blrchol " PROBLEM, &output), 2, "%s", output);
    cr_assert(strstr(output, "STARPU_MPI_NDETACHED_SEND a positive integer"), "%s", output);
    free(output);
}

Test(starpu_settings, a_killed_rank_ends_the_job, .timeout = 180)
{
    const char *launcher = getenv("BLRCHOL_MPIRUN");
    char script[1024], *output = NULL;
    snprintf(script, sizeof script,
             "%s -np 2 -x STARPU_NCPU=1 -x STARPU_SILENT=1 ./blrchol -n 40000 --seed 4242 --quiet >/dev/null 2>&1 & "
             "job=$!; sleep 5; pkill -9 -o -f '^./blrchol -n 40000 --seed 4242' || { echo no-rank-to-kill; exit 9; }; "
             "start=$(date +%%s); wait $job; rc=$?; echo rc=$rc elapsed=$(( $(date +%%s) - start ))",
             launcher ? launcher : "mpirun --oversubscribe");
    cr_assert_eq(run_shell(script, &output), 0, "%s", output);
    int rc = -1, elapsed = -1;
    const char *line = strstr(output, "rc=");
    cr_assert(line && sscanf(line, "rc=%d elapsed=%d", &rc, &elapsed) == 2, "%s", output);
    cr_assert_neq(rc, 0, "the job reported success: %s", output);
    cr_assert_leq(elapsed, 30, "the job took %d s to end after the kill", elapsed);
    free(output);
}

/* The value of `key` in config.mk, as configure wrote it (malloc'ed). */
static char *config_value(const char *key)
{
    char *text = slurp("config.mk"), pattern[64];
    cr_assert(text, "no config.mk in the working directory");
    snprintf(pattern, sizeof pattern, "\n%s = ", key);
    const char *start = strstr(text, pattern);
    cr_assert(start, "no %s in config.mk", key);
    start += strlen(pattern);
    char *value = strndup(start, strcspn(start, "\n"));
    free(text);
    return value;
}

/* The report names the StarPU the headers declared at configure time, and
 * the settings in force: blrchol's where the user set none, the user's
 * where one is set. */
Test(starpu_settings, settings_in_force_are_reported, .timeout = 300)
{
    char *version = config_value("STARPU_VERSION");
    char *json = json_under("");
    cr_assert(json_has_string(json, "starpu_version", version), "configured for %s: %s", version, json);
    cr_assert_eq(json_number(json, "starpu_mpi_ndetached_send"), 4, "%s", json);
    cr_assert_eq(json_number(json, "starpu_mpi_mem_throttle"), 0, "%s", json);
    cr_assert_eq(json_number(json, "starpu_mpi_thread_multiple_send"), 0, "%s", json);
    free(json);
    json = json_under("-x STARPU_MPI_NDETACHED_SEND=3");
    cr_assert_eq(json_number(json, "starpu_mpi_ndetached_send"), 3, "%s", json);
    free(json);
    free(version);
}

/* runtime/tile_interface.c compiled as the build does, as it is and with
 * register_data_handle's home node of a type StarPU never used: the first
 * compiles, the second stops at the method's check. */
Test(starpu_settings, a_method_of_the_wrong_type_does_not_compile, .timeout = 120)
{
    char *cc = config_value("CC"), *cppflags = config_value("CPPFLAGS"), *starpu = config_value("STARPU_CFLAGS"),
         *blas = config_value("BLAS_CFLAGS"), wrong[256], command[2048], *output = NULL;
    temp_path(wrong, sizeof wrong, ".c");
    snprintf(command, sizeof command, "sed 's/HOME_NODE_TYPE home_node/long home_node/' runtime/tile_interface.c > %s"
             " && grep -c 'long home_node' %s", wrong, wrong);
    cr_assert_eq(run_shell(command, &output), 0, "the method to break is gone: %s", output);
    free(output);
    const char *sources[] = {"runtime/tile_interface.c", wrong};
    for (int k = 0; k < 2; k++) {
        snprintf(command, sizeof command, "%s -std=gnu11 -fsyntax-only %s %s %s -I. %s", cc, cppflags, starpu, blas,
                 sources[k]);
        const int code = run_shell(command, &output);
        if (k == 0)
            cr_assert_eq(code, 0, "%s: %s", command, output);
        else {
            cr_assert_neq(code, 0, "%s compiled", command);
            cr_assert(strstr(output, "tile_register_data_handle does not have the type of struct "
                                     "starpu_data_interface_ops::register_data_handle"), "%s", output);
        }
        free(output);
    }
    unlink(wrong);
    free(cc), free(cppflags), free(starpu), free(blas);
}

/* A pkg-config module pair of StarPU `line` in directory `dir`: version
 * `version`, the real StarPU's flags, and a define naming the line. */
static void write_fake_modules(const char *dir, const char *line, const char *version)
{
    char *cflags = config_value("STARPU_CFLAGS"), *libs = config_value("STARPU_LIBS");
    const char *names[] = {"starpu", "starpumpi"};
    for (int k = 0; k < 2; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s-%s.pc", dir, names[k], line);
        FILE *pc = fopen(path, "w");
        cr_assert(pc, "%s", path);
        fprintf(pc, "Name: %s\nDescription: a stand-in\nVersion: %s\nCflags: %s -DFAKE_STARPU_LINE=%s\nLibs: %s\n",
                names[k], version, cflags, line, libs);
        fclose(pc);
    }
    free(cflags);
    free(libs);
}

/* ./configure run in `build` with the modules of `modules` first on
 * pkg-config's path; its output and config.mk's STARPU_CFLAGS line. */
static void configure_with(const char *build, const char *modules, char **output, char **cflags)
{
    char *cc = config_value("CC"), command[2048], here[512];
    cr_assert(getcwd(here, sizeof here));
    snprintf(command, sizeof command, "cd %s && PKG_CONFIG_PATH=%s %s/configure MPICC='%s' 2>&1 && "
             "grep '^STARPU_CFLAGS' config.mk", build, modules, here, cc);
    cr_assert_eq(run_shell(command, output), 0, "%s: %s", command, *output);
    *cflags = strstr(*output, "STARPU_CFLAGS = ");
    cr_assert(*cflags, "%s", *output);
    free(cc);
}

Test(starpu_settings, configure_prefers_starpu_1_4_and_says_its_version, .timeout = 300)
{
    char top[] = "/tmp/blrchol-configure-XXXXXX", modules[64], build[64], command[256], *output, *cflags;
    cr_assert(mkdtemp(top));
    snprintf(modules, sizeof modules, "%s/pkgconfig", top);
    snprintf(build, sizeof build, "%s/build", top);
    snprintf(command, sizeof command, "mkdir %s %s", modules, build);
    cr_assert_eq(run_shell(command, NULL), 0);
    char *version = config_value("STARPU_VERSION"), says[128];
    write_fake_modules(modules, "1.3", "1.3.98");
    write_fake_modules(modules, "1.4", "1.4.99");

    configure_with(build, modules, &output, &cflags);
    cr_assert(strstr(cflags, "-DFAKE_STARPU_LINE=1.4"), "1.4 not preferred: %s", output);
    snprintf(says, sizeof says, "the StarPU version... %s, pkg-config starpu-1.4 says 1.4.99", version);
    cr_assert(strstr(output, says), "no '%s' in: %s", says, output);
    cr_assert(strstr(output, "pkg-config says StarPU 1.4.99 but the headers say"), "%s", output);
    free(output);

    snprintf(command, sizeof command, "rm %s/*-1.4.pc", modules);
    cr_assert_eq(run_shell(command, NULL), 0);
    configure_with(build, modules, &output, &cflags);
    cr_assert(strstr(cflags, "-DFAKE_STARPU_LINE=1.3"), "1.3 not taken when alone: %s", output);
    cr_assert(strstr(output, "pkg-config starpu-1.3 says 1.3.98"), "%s", output);
    free(output);

    snprintf(command, sizeof command, "rm -rf %s", top);
    run_shell(command, NULL);
    free(version);
}

/* The first word of `flags` that starts with `prefix`, without it (malloc'ed). */
static char *first_flag(const char *flags, const char *prefix)
{
    const char *at = strstr(flags, prefix);
    cr_assert(at, "no %s in '%s'", prefix, flags);
    at += strlen(prefix);
    return strndup(at, strcspn(at, " "));
}

/* No pkg-config module anywhere: --with-starpu=DIR takes the newest
 * DIR/include/starpu/1.X (here the real StarPU's headers beside an empty
 * 1.2) and links that line's libraries. */
Test(starpu_settings, configure_without_pkg_config_probes_the_newest_line, .timeout = 300)
{
    char top[] = "/tmp/blrchol-probe-XXXXXX", command[4096], here[512], *output = NULL;
    cr_assert(mkdtemp(top));
    cr_assert(getcwd(here, sizeof here));
    char *cc = config_value("CC"), *cflags = config_value("STARPU_CFLAGS"), *libs = config_value("STARPU_LIBS"),
         *blas_cflags = config_value("BLAS_CFLAGS"), *blas_libs = config_value("BLAS_LIBS"),
         *version = config_value("STARPU_VERSION");
    char *headers = first_flag(cflags, "-I"), *line = strndup(version, strrchr(version, '.') - version);
    /* The real libraries are found where the real build finds them: its -L, if any, as LDFLAGS. */
    const char *library_dir = strstr(libs, "-L");
    char *ldflags = library_dir ? first_flag(libs, "-L") : strdup("");
    snprintf(command, sizeof command,
             "mkdir -p %s/prefix/include/starpu/1.2 %s/prefix/lib %s/empty %s/build && "
             "ln -s %s %s/prefix/include/starpu/%s && cd %s/build && "
             "PKG_CONFIG_LIBDIR=%s/empty PKG_CONFIG_PATH= %s/configure --with-starpu=%s/prefix MPICC='%s' "
             "LDFLAGS='%s%s' BLAS_CFLAGS='%s' BLAS_LIBS='%s' 2>&1 && grep '^STARPU_' config.mk",
             top, top, top, top, headers, top, line, top, top, here, top, cc, *ldflags ? "-L" : "", ldflags,
             blas_cflags, blas_libs);
    cr_assert_eq(run_shell(command, &output), 0, "%s: %s", command, output);
    char expected[512];
    snprintf(expected, sizeof expected, "for the StarPU line under %s/prefix... %s", top, line);
    cr_assert(strstr(output, expected), "no '%s' in: %s", expected, output);
    snprintf(expected, sizeof expected, "STARPU_CFLAGS = -I%s/prefix/include/starpu/%s", top, line);
    cr_assert(strstr(output, expected), "no '%s' in: %s", expected, output);
    snprintf(expected, sizeof expected, "-lstarpumpi-%s -lstarpu-%s", line, line);
    cr_assert(strstr(output, expected), "no '%s' in: %s", expected, output);
    snprintf(expected, sizeof expected, "the StarPU version... %s\n", version);
    cr_assert(strstr(output, expected), "no '%s' in: %s", expected, output);
    free(output);
    snprintf(command, sizeof command, "rm -rf %s", top);
    run_shell(command, NULL);
    free(cc), free(cflags), free(libs), free(blas_cflags), free(blas_libs), free(version), free(headers), free(line),
        free(ldflags);
}
