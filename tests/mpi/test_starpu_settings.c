/*
 * StarPU and StarPU-MPI settings a user may plausibly change, and a lost
 * rank: each scheduler solves the problem with the default one's backward
 * error; a send window of 1 works and one of 0 (with which StarPU-MPI 1.3
 * never sends) is refused at start, naming the variable; a rank killed
 * mid-run ends the whole job within 30 s.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

#define PROBLEM "-n 3000 --nb 200 --quiet --check"

/* backward_error of ./blrchol PROBLEM on 2 ranks under `env` ("-x VAR=value"). */
static double backward_error_under(const char *env)
{
    char path[64], command[256], *output = NULL;
    temp_path(path, sizeof path, ".json");
    snprintf(command, sizeof command, "%s ./blrchol " PROBLEM " --json %s", env, path);
    cr_assert_eq(run_mpi(2, command, &output), 0, "%s: %s", env, output);
    free(output);
    char *json = slurp(path);
    unlink(path);
    cr_assert(json && json_has_string(json, "status", "ok"), "%s: %s", env, json ? json : "no JSON");
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
