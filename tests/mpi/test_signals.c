/*
 * SIGTERM and SIGINT stop a run cleanly: every rank ends, the JSON says
 * status "terminated" with the phase it was in, the ranks exit with 4,
 * and a --save-factor under way leaves nothing that loads.  The solver
 * runs in the background; the signal goes out once its progress lines
 * show the phase has started, to the launcher (which forwards it, as a
 * batch system's does) or to the ranks themselves (as SLURM sends it to
 * every task).  The control: the same kind of run, not signalled, is ok.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support.h"

#define TERMINATED 4 /* BLRCHOL_TERMINATED, the documented exit code */
#define GONE_WITHIN 20.0 /* seconds: a bound on an event, generous for a loaded machine */

typedef struct run {
    pid_t launcher;        /* mpirun */
    pid_t ranks[2];
    char output[64], json[64];
} run_t;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Start `./blrchol ARGS --json FILE` on 2 ranks in the background, its
 * stdout and stderr in run->output; the launcher is the child itself
 * (exec), so that signals reach it. */
static void launch(run_t *run, const char *mpirun_options, const char *args)
{
    *run = (run_t){0};
    temp_path(run->output, sizeof run->output, ".out");
    temp_path(run->json, sizeof run->json, ".json");
    char command[1024];
    snprintf(command, sizeof command,
             "exec mpirun --oversubscribe%s %s -x STARPU_NCPU=1 -x STARPU_SILENT=1 -np 2 ./blrchol %s --json %s "
             "> %s 2>&1",
             geteuid() == 0 ? " --allow-run-as-root" : "", mpirun_options, args, run->json, run->output);
    run->launcher = fork();
    cr_assert(run->launcher >= 0, "fork: %s", strerror(errno));
    if (run->launcher == 0) {
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
}

/* The ranks' process ids: the launcher's children. */
static void note_ranks(run_t *run)
{
    char command[64], *children = NULL;
    snprintf(command, sizeof command, "pgrep -P %d", (int)run->launcher);
    run_shell(command, &children);
    cr_assert(sscanf(children, "%d %d", &run->ranks[0], &run->ranks[1]) == 2, "ranks of %d: %s",
              (int)run->launcher, children);
    free(children);
}

/* Wait until `text` is in the run's output (its progress lines); then
 * note the ranks. */
static void wait_for_output(run_t *run, const char *text)
{
    char *output = NULL;
    for (double start = now(); now() - start < 300; usleep(50 * 1000)) {
        free(output);
        output = slurp(run->output);
        if (output && strstr(output, text))
            break;
        cr_assert(waitpid(run->launcher, NULL, WNOHANG) == 0, "the run ended before '%s': %s", text, output);
    }
    cr_assert(output && strstr(output, text), "no '%s' after 300 s: %s", text, output);
    free(output);
    note_ranks(run);
}

/* A process that has ended (a zombie not yet reaped counts as ended). */
static int process_gone(pid_t pid)
{
    char path[64], state = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *stat = fopen(path, "r");
    if (!stat)
        return 1;
    int fields = fscanf(stat, "%*d (%*[^)]) %c", &state);
    fclose(stat);
    return fields == 1 && (state == 'Z' || state == 'X');
}

/* Wait (at most 120 s) for the launcher's exit and for both ranks to be
 * gone; the seconds that took from `since`, and the launcher's exit code
 * in *status (-1: killed by a signal). */
static double wait_until_gone(run_t *run, double since, int *status)
{
    int raw = 0;
    double deadline = since + 120;
    while (waitpid(run->launcher, &raw, WNOHANG) == 0 && now() < deadline)
        usleep(50 * 1000);
    while (!(process_gone(run->ranks[0]) && process_gone(run->ranks[1])) && now() < deadline)
        usleep(50 * 1000);
    double elapsed = now() - since;
    if (now() >= deadline) {
        kill(run->launcher, SIGKILL);
        kill(run->ranks[0], SIGKILL);
        kill(run->ranks[1], SIGKILL);
        waitpid(run->launcher, &raw, 0);
    }
    *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return elapsed;
}

/* The run's JSON (asserted present) once it is over. */
static char *result_of(run_t *run)
{
    char *json = slurp(run->json), *output = slurp(run->output);
    cr_assert(json && json[0], "no JSON; output: %s", output);
    free(output);
    unlink(run->json);
    unlink(run->output);
    return json;
}

static void expect_terminated(const char *json, const char *phase)
{
    cr_assert(json_has_string(json, "status", "terminated"), "%s", json);
    cr_assert(json_has_string(json, "phase", phase), "expected phase %s: %s", phase, json);
}

/* A factor directory that --load-factor refuses cleanly (exit 2, "no
 * factor here") for the problem of order n, and holds no factor.meta. */
static void expect_no_factor(const char *dir, int n)
{
    char meta[128], args[256], *output = NULL;
    snprintf(meta, sizeof meta, "%s/factor.meta", dir);
    struct stat st;
    cr_assert(stat(meta, &st) != 0, "%s exists after a terminated run", meta);
    snprintf(args, sizeof args, "-n %d --dense --quiet --load-factor %s", n, dir);
    int status = run_blrchol(2, args, &output);
    cr_assert_eq(status, 2, "loading %s: exit %d: %s", dir, status, output);
    cr_assert(strstr(output, "no factor here"), "%s", output);
    free(output);
}

static void remove_factor_dir(const char *dir)
{
    char command[160];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    run_shell(command, NULL);
}

/* Start `-n N --dense --save-factor DIR` on 2 ranks, DIR fresh (named
 * after `tag`), mpirun's SIGKILL 6 s after it forwards a signal.  With
 * `fifos`, DIR holds FIFOs (fifo[r]) under the names of the ranks'
 * temporary tile files. */
static void launch_saving(run_t *run, char dir[64], const char *tag, int n, char (*fifo)[128])
{
    snprintf(dir, 64, "/tmp/blrchol-%s-%d", tag, (int)getpid());
    remove_factor_dir(dir);
    for (int r = 0; fifo && r < 2; r++) {
        mkdir(dir, 0777);
        snprintf(fifo[r], 128, "%s/rank-%d.tiles.tmp", dir, r);
        cr_assert_eq(mkfifo(fifo[r], 0600), 0, "mkfifo %s: %s", fifo[r], strerror(errno));
    }
    char args[160];
    snprintf(args, sizeof args, "-n %d --dense --save-factor %s", n, dir);
    launch(run, "--mca odls_base_sigkill_timeout 6", args);
}

/* The check of issue 16: SIGTERM to mpirun mid-factorisation.  Open MPI's
 * mpirun forwards it after odls_base_sigkill_timeout seconds and sends
 * SIGKILL as long again later: 6 s leave the ranks time to write the
 * JSON, and n 14000 --dense is still factorising then. */
Test(signals, sigterm_to_the_launcher_mid_factorisation, .timeout = 300)
{
    char dir[64];
    run_t run;
    launch_saving(&run, dir, "signals", 14000, NULL);
    wait_for_output(&run, "tiles built");
    const double sent = now();
    kill(run.launcher, SIGTERM);
    int status;
    double elapsed = wait_until_gone(&run, sent, &status);
    char *json = result_of(&run);
    cr_assert(elapsed <= GONE_WITHIN, "processes still there %.1f s after SIGTERM", elapsed);
    cr_assert_neq(status, 0, "%s", json);
    expect_terminated(json, "factor");
    double progress = json_number(json, "progress");
    cr_assert(progress >= 0 && progress < 1, "progress %g: %s", progress, json);
    free(json);
    expect_no_factor(dir, 14000);
    remove_factor_dir(dir);
}

/* SIGINT while the save writes the tiles.  Each rank's temporary tile
 * file is a FIFO here: the test's open returns once the rank has opened
 * it to write, and the rank waits on it until the test reads, so the
 * signal lands in the save whatever the machine's speed. */
Test(signals, sigint_during_the_save_leaves_no_factor, .timeout = 300)
{
    char dir[64], fifo[2][128];
    run_t run;
    launch_saving(&run, dir, "signals-save", 3000, fifo);
    int fd[2];
    for (int r = 0; r < 2; r++)
        fd[r] = open(fifo[r], O_RDONLY);
    note_ranks(&run);
    const double sent = now();
    kill(run.ranks[0], SIGINT);
    kill(run.ranks[1], SIGINT);
    char buffer[65536];
    for (int r = 0; r < 2; r++) {
        while (fd[r] >= 0 && read(fd[r], buffer, sizeof buffer) > 0)
            ;
        close(fd[r]);
    }
    int status;
    double elapsed = wait_until_gone(&run, sent, &status);
    char *json = result_of(&run);
    cr_assert(elapsed <= GONE_WITHIN, "processes still there %.1f s after SIGINT", elapsed);
    cr_assert_eq(status, TERMINATED, "exit %d: %s", status, json);
    expect_terminated(json, "save");
    free(json);
    char listing[160], *files = NULL;
    snprintf(listing, sizeof listing, "ls -A %s", dir);
    run_shell(listing, &files);
    cr_assert_str_empty(files, "left in %s: %s", dir, files);
    free(files);
    expect_no_factor(dir, 3000);
    remove_factor_dir(dir);
}

/* Run ARGS, send SIGINT to `signalled` ranks (rank 1 first) once
 * `started` is in the output, and expect a clean stop during `phase`:
 * every process gone within the bound, exit 4, the JSON (returned). */
static char *interrupt_ranks(const char *args, const char *started, int signalled, const char *phase)
{
    run_t run;
    launch(&run, "", args);
    wait_for_output(&run, started);
    const double sent = now();
    for (int r = 1; r >= 2 - signalled; r--)
        kill(run.ranks[r], SIGINT);
    int status;
    double elapsed = wait_until_gone(&run, sent, &status);
    char *json = result_of(&run);
    cr_assert(elapsed <= GONE_WITHIN, "processes still there %.1f s after SIGINT", elapsed);
    cr_assert_eq(status, TERMINATED, "exit %d: %s", status, json);
    expect_terminated(json, phase);
    return json;
}

/* SIGINT to one rank only: the other learns it at the next step's vote,
 * and both stop at the same step. */
Test(signals, sigint_to_one_rank_mid_factorisation, .timeout = 300)
{
    free(interrupt_ranks("-n 10000 --dense", "tiles built", 1, "factor"));
}

/* SIGINT to every rank (as SLURM signals every task) during --check. */
Test(signals, sigint_to_every_rank_during_the_check, .timeout = 300)
{
    char *json = interrupt_ranks("-n 10000 --check", "checking the residual", 2, "check");
    cr_assert(isnan(json_number(json, "backward_error")), "a stopped check reports no backward error: %s", json);
    free(json);
}

/* The control: not signalled, the same kind of run is ok, and its saved
 * factor loads. */
Test(signals, unsignalled_run_is_ok, .timeout = 300)
{
    char dir[64], args[160];
    run_t run;
    launch_saving(&run, dir, "signals-ok", 3000, NULL);
    int status;
    wait_until_gone(&run, now(), &status);
    char *json = result_of(&run);
    cr_assert_eq(status, 0, "%s", json);
    cr_assert(json_has_string(json, "status", "ok"), "%s", json);
    cr_assert(!strstr(json, "\"phase\""), "%s", json);
    free(json);
    snprintf(args, sizeof args, "-n 3000 --dense --quiet --load-factor %s", dir);
    char *output = NULL;
    status = run_blrchol(2, args, &output);
    cr_assert_eq(status, 0, "loading %s: %s", dir, output);
    free(output);
    remove_factor_dir(dir);
}
