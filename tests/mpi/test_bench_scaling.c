/*
 * bench/strong-scaling and bench/slurm/ (suite bench_scaling).
 *
 * A tiny series on 1, 2 and 4 ranks: the CSV has the required columns, one
 * row per rank count (a stale run-8.json left in the directory is not
 * collected), status ok, speedup and efficiency equal to what the factor
 * times give (recomputed here), every plot a PNG with a non-empty IHDR, and
 * --collect-only rebuilds the same CSV from the JSON files; collected from
 * written files, failed and wrong-rank runs stay as rows without speedup.
 * Bad options exit 2 before anything runs.  The SLURM scripts parse, the
 * driver's dry run prints one sbatch line per node count plus the collect
 * job, and its --local mode runs the same series here.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support.h"

static const char *const required[] = {"ranks", "p", "q", "workers_per_rank", "n", "nb", "time_factor", "speedup",
                                       "efficiency", "peak_actual_bytes", "peak_rss_bytes", "peak_charged_bytes",
                                       "memctl_blocked_seconds", "backward_error", "status"};
enum { NREQUIRED = sizeof required / sizeof required[0], MAXFIELDS = 64 };
enum { RANKS, P, Q, WORKERS, N, NB, TIME, SPEEDUP, EFFICIENCY, ACTUAL, RSS, CHARGED, BLOCKED, BACKWARD, STATUS };

static int shell(const char *command, char **output)
{
    int status = run_shell(command, output);
    cr_assert_neq(status, -1, "could not run %s", command);
    return status;
}

/* Split a CSV line in place (empty fields kept); returns the field count. */
static int split(char *line, char **fields)
{
    int count = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *field = line;; field++) {
        cr_assert_lt(count, MAXFIELDS);
        fields[count++] = field;
        field = strchr(field, ',');
        if (!field)
            return count;
        *field = 0;
    }
}

static void assert_png(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "no plot %s", path);
    unsigned char header[24];
    cr_assert_eq(fread(header, 1, sizeof header, f), sizeof header, "%s is truncated", path);
    fclose(f);
    cr_assert_eq(memcmp(header, "\x89PNG\r\n\x1a\n", 8), 0, "%s has no PNG signature", path);
    /* The first chunk is IHDR, 13 bytes long: width then height, big-endian. */
    cr_assert_eq(memcmp(header + 8, "\0\0\0\x0dIHDR", 8), 0, "%s does not start with an IHDR chunk", path);
    unsigned long width = (unsigned long)header[16] << 24 | header[17] << 16 | header[18] << 8 | header[19];
    unsigned long height = (unsigned long)header[20] << 24 | header[21] << 16 | header[22] << 8 | header[23];
    cr_assert(width > 0 && height > 0, "%s is %lux%lu", path, width, height);
}

typedef struct {
    int ranks[8], p[8], q[8], workers[8], n[8], rows;
    double time[8], speedup[8], efficiency[8], actual[8], rss[8], backward[8];
    char status[8][16];
} series_t;

/* Read DIR/strong-scaling.csv: the required columns found by name in the
 * header, the rows in *s. */
static void read_csv(const char *dir, series_t *s)
{
    char path[256], line[2048], *fields[MAXFIELDS];
    snprintf(path, sizeof path, "%s/strong-scaling.csv", dir);
    FILE *csv = fopen(path, "r");
    cr_assert_not_null(csv, "no %s", path);
    cr_assert_not_null(fgets(line, sizeof line, csv), "%s is empty", path);
    int nfields = split(line, fields), column[NREQUIRED];
    for (int c = 0; c < NREQUIRED; c++) {
        column[c] = -1;
        for (int f = 0; f < nfields; f++)
            if (!strcmp(fields[f], required[c]))
                column[c] = f;
        cr_assert_geq(column[c], 0, "column %s missing from the header of %s", required[c], path);
    }
    memset(s, 0, sizeof *s);
    while (fgets(line, sizeof line, csv)) {
        cr_assert_lt(s->rows, 8, "too many rows in %s", path);
        cr_assert_eq(split(line, fields), nfields, "row %d of %s has not %d fields: %s", s->rows + 1, path, nfields,
                     line);
        int r = s->rows++;
        s->ranks[r] = atoi(fields[column[RANKS]]);
        s->p[r] = atoi(fields[column[P]]);
        s->q[r] = atoi(fields[column[Q]]);
        s->workers[r] = atoi(fields[column[WORKERS]]);
        s->n[r] = atoi(fields[column[N]]);
        s->time[r] = atof(fields[column[TIME]]);
        s->speedup[r] = atof(fields[column[SPEEDUP]]);
        s->efficiency[r] = atof(fields[column[EFFICIENCY]]);
        s->actual[r] = atof(fields[column[ACTUAL]]);
        s->rss[r] = atof(fields[column[RSS]]);
        s->backward[r] = atof(fields[column[BACKWARD]]);
        snprintf(s->status[r], sizeof s->status[r], "%s", fields[column[STATUS]]);
    }
    fclose(csv);
}

static void check_series(const series_t *s, const int *expected, int count, double max_backward)
{
    cr_assert_eq(s->rows, count, "%d rows, expected %d", s->rows, count);
    for (int r = 0; r < count; r++) {
        cr_assert_eq(s->ranks[r], expected[r], "row %d: %d ranks, expected %d", r + 1, s->ranks[r], expected[r]);
        cr_assert_str_eq(s->status[r], "ok", "row %d", r + 1);
        cr_assert_eq(s->p[r] * s->q[r], s->ranks[r], "row %d: grid %dx%d", r + 1, s->p[r], s->q[r]);
        cr_assert_geq(s->workers[r], 1, "row %d: workers_per_rank", r + 1);
        cr_assert_eq(s->n[r], s->n[0], "row %d: another problem size", r + 1);
        cr_assert_gt(s->time[r], 0, "row %d: factor time", r + 1);
        cr_assert_gt(s->actual[r], 0, "row %d: peak_actual_bytes", r + 1);
        cr_assert_gt(s->rss[r], 0, "row %d: peak_rss_bytes", r + 1);
        if (max_backward > 0)
            cr_assert(s->backward[r] > 0 && s->backward[r] < max_backward, "row %d: backward error %g", r + 1,
                      s->backward[r]);
        /* Independently: speedup t0 / t, efficiency speedup x r0 / r, the
         * CSV holding 6 significant digits. */
        double speedup = s->time[0] / s->time[r], efficiency = speedup * s->ranks[0] / s->ranks[r];
        cr_assert(fabs(s->speedup[r] - speedup) <= 1e-5 * speedup, "row %d: speedup %.6g, the times give %.6g",
                  r + 1, s->speedup[r], speedup);
        cr_assert(fabs(s->efficiency[r] - efficiency) <= 1e-5 * efficiency,
                  "row %d: efficiency %.6g, speedup x r0 / r gives %.6g", r + 1, s->efficiency[r], efficiency);
    }
    cr_assert_eq(s->speedup[0], 1.0, "first row: speedup %g", s->speedup[0]);
    cr_assert_eq(s->efficiency[0], 1.0, "first row: efficiency %g", s->efficiency[0]);
}

Test(bench_scaling, csv_table_and_plots_of_a_tiny_series, .timeout = 300)
{
    char dir[64] = "/tmp/blrchol-scaling-XXXXXX", command[512], path[256];
    cr_assert_not_null(mkdtemp(dir));
    /* A stale result of another series in the same directory. */
    snprintf(path, sizeof path, "%s/run-8.json", dir);
    FILE *stale = fopen(path, "w");
    cr_assert_not_null(stale);
    fprintf(stale, "{\n  \"status\": \"ok\",\n  \"ranks\": 8,\n  \"time_factor\": 0.001\n}\n");
    fclose(stale);

    snprintf(command, sizeof command,
             "bench/strong-scaling --ranks 1,2,4 -n 1500 --out %s -- --nb 256 --eps 1e-6 --check > %s/log 2>&1", dir,
             dir);
    int code = shell(command, NULL);
    snprintf(path, sizeof path, "%s/log", dir);
    char *log = slurp(path);
    cr_assert_eq(code, 0, "%s: exit %d\n%s", command, code, log);
    cr_assert_not_null(strstr(log, "strong-scaling.csv"), "the CSV path is not printed:\n%s", log);
    cr_assert_not_null(strstr(log, "| ranks | grid |"), "the table is not printed:\n%s", log);
    free(log);

    series_t series;
    read_csv(dir, &series);
    const int expected[] = {1, 2, 4};
    check_series(&series, expected, 3, 1e-5);

    const char *plots[] = {"time-speedup.png", "efficiency.png", "memory.png", "memctl-blocked.png"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, plots[i]);
        assert_png(path);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/run-%d.json", dir, expected[i]);
        char *json = slurp(path);
        cr_assert_not_null(json, "the JSON %s is not kept", path);
        cr_assert_eq(json_number(json, "ranks"), expected[i]);
        free(json);
    }

    /* --collect-only rebuilds the same CSV from the JSON files. */
    snprintf(path, sizeof path, "%s/strong-scaling.csv", dir);
    char *before = slurp(path);
    unlink(path);
    snprintf(command, sizeof command, "bench/strong-scaling --collect-only --ranks 1,2,4 --out %s", dir);
    char *output = NULL;
    code = shell(command, &output);
    cr_assert_eq(code, 0, "%s: exit %d\n%s", command, code, output);
    char *after = slurp(path);
    cr_assert_not_null(after, "%s: no CSV", command);
    cr_assert_str_eq(after, before, "--collect-only wrote another CSV");
    free(before);
    free(after);
    free(output);

    snprintf(command, sizeof command, "rm -rf %s", dir);
    cr_assert_eq(system(command), 0);
}

/* DIR/run-R.json as blrchol writes it (one key per line), or the stub that
 * bench/strong-scaling leaves for a run that wrote none (ranks_run 0). */
static void write_run(const char *dir, int ranks, int ranks_run, double time)
{
    char path[256];
    snprintf(path, sizeof path, "%s/run-%d.json", dir, ranks);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    if (!ranks_run)
        fprintf(f, "{\n  \"status\": \"failed\",\n  \"error\": \"no JSON\",\n  \"n\": 2000,\n  \"ranks\": %d,\n"
                   "  \"workers_per_rank\": 1\n}\n", ranks);
    else
        fprintf(f, "{\n  \"status\": \"ok\",\n  \"n\": 2000,\n  \"nb\": 256,\n  \"p\": 1,\n  \"q\": %d,\n  \"ranks\": %d,\n"
                   "  \"workers_per_rank\": 1,\n  \"kernel\": \"laplace\",\n  \"geometry\": \"sphere\",\n"
                   "  \"dense\": false,\n  \"eps\": 1e-06,\n  \"time_factor\": %g,\n  \"backward_error\": null,\n"
                   "  \"peak_charged_bytes\": 2000000,\n  \"peak_actual_bytes\": 1000000,\n  \"peak_rss_bytes\": 3000000,\n"
                   "  \"memctl_blocked_seconds\": 0,\n  \"rank_peak_actual_bytes\": [1000000]\n}\n",
                ranks_run, ranks_run, time);
    fclose(f);
}

/* --collect-only on JSON files written here (nothing runs): a run on fewer
 * ranks than its file says (srun without PMI starting singletons) and a
 * failed run keep their rows, without speedup and not drawn, exit 1; with
 * no run ok at all, the table is still printed and no plot is left. */
Test(bench_scaling, collect_keeps_failed_and_wrong_rank_runs_as_rows)
{
    char dir[64] = "/tmp/blrchol-scaling-XXXXXX", command[512], path[256];
    cr_assert_not_null(mkdtemp(dir));
    write_run(dir, 1, 1, 2.0);
    write_run(dir, 2, 1, 2.1); /* two singletons of 1 rank */
    write_run(dir, 4, 0, 0);
    snprintf(command, sizeof command, "bench/strong-scaling --collect-only --ranks 1,2,4 --out %s", dir);
    char *output = NULL;
    int code = shell(command, &output);
    cr_assert_eq(code, 1, "%s: exit %d, expected 1\n%s", command, code, output);
    cr_assert_not_null(strstr(output, "ran on 1 ranks, not 2"), "%s", output);
    cr_assert_not_null(strstr(output, "| ranks | grid |"), "the table is not printed:\n%s", output);
    free(output);
    series_t s;
    read_csv(dir, &s);
    cr_assert_eq(s.rows, 3);
    cr_assert_str_eq(s.status[0], "ok");
    cr_assert_str_eq(s.status[1], "wrong-ranks");
    cr_assert_str_eq(s.status[2], "failed");
    cr_assert_eq(s.speedup[0], 1.0);
    cr_assert_eq(s.speedup[1], 0.0, "a wrong-rank run has a speedup %g", s.speedup[1]);
    cr_assert_eq(s.speedup[2], 0.0, "a failed run has a speedup %g", s.speedup[2]);
    snprintf(path, sizeof path, "%s/time-speedup.png", dir);
    assert_png(path);

    /* No run ok: a table, no plot (not even the earlier series' one). */
    write_run(dir, 1, 0, 0);
    code = shell(command, &output);
    cr_assert_eq(code, 1, "%s: exit %d, expected 1\n%s", command, code, output);
    cr_assert_not_null(strstr(output, "no run with status ok: no plots"), "%s", output);
    cr_assert_not_null(strstr(output, "| 4 |"), "the table is not printed:\n%s", output);
    cr_assert_null(strstr(output, "gnuplot>"), "gnuplot complained:\n%s", output);
    cr_assert_neq(access(path, F_OK), 0, "%s is left from the earlier collect", path);
    free(output);

    snprintf(command, sizeof command, "rm -rf %s", dir);
    cr_assert_eq(system(command), 0);
}

Test(bench_scaling, bad_options_exit_2_before_any_run)
{
    char dir[64] = "/tmp/blrchol-scaling-XXXXXX", command[512];
    cr_assert_not_null(mkdtemp(dir));
    const char *cases[][2] = {
        {"--bogus", "unknown option '--bogus'"},
        {"--ranks", "--ranks needs a value"},
        {"--ranks 1,x", "bad rank count 'x'"},
        {"--ranks 1,2,1", "appears twice"},
        {"-n 0", "bad -n '0'"},
        {"--repeat 0", "bad --repeat '0'"},
        {"--workers two", "bad --workers 'two'"},
        {"--ranks 1,2 --grids 1x1", "one PxQ per rank count"},
        {"--ranks 1,2 --grids 1x1,3x1", "grid '3x1' is not P x Q = 2 ranks"},
        {"--run-only --collect-only", "exclude each other"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(command, sizeof command, "bench/strong-scaling %s --out %s -- --eps 1e-6", cases[i][0], dir);
        char *output = NULL;
        int code = shell(command, &output);
        cr_assert_eq(code, 2, "%s: exit %d, expected 2\n%s", command, code, output);
        cr_assert_not_null(strstr(output, cases[i][1]), "%s: expected '%s' in\n%s", command, cases[i][1], output);
        free(output);
    }
    /* Nothing ran: in particular not the 1x1 point before the bad 3x1 grid. */
    snprintf(command, sizeof command, "test -z \"$(ls -A %s)\"", dir);
    cr_assert_eq(system(command), 0, "something was written in %s", dir);
    rmdir(dir);
}

Test(bench_scaling, slurm_scripts_parse_and_the_dry_run_submits_the_series)
{
    cr_assert_eq(system("bash -n bench/slurm/strong-scaling.sbatch && bash -n bench/slurm/submit-series"), 0);
    char *output = NULL;
    int code = shell("bench/slurm/submit-series --nodes 1,2,4,8 -n 50000 --dry-run -- --eps 1e-6 --kernel helmholtz",
                     &output);
    cr_assert_eq(code, 0, "exit %d\n%s", code, output);
    int jobs = 0, collect = 0;
    const int nodes[] = {1, 2, 4, 8};
    for (char *line = strtok(output, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "submit-series: ", 15))
            continue; /* the summary line */
        cr_assert_eq(strncmp(line, "sbatch ", 7), 0, "not an sbatch line: %s", line);
        if (strstr(line, "--dependency=afterany:JOB1:JOB2:JOB3:JOB4")) {
            collect++;
            cr_assert_not_null(strstr(line, "--collect-only --ranks 1,2,4,8"), "collect job: %s", line);
            continue;
        }
        cr_assert_lt(jobs, 4, "more than one job per node count: %s", line);
        char expected[64];
        snprintf(expected, sizeof expected, " --nodes=%d ", nodes[jobs]);
        cr_assert_not_null(strstr(line, expected), "job %d: %s", jobs + 1, line);
        cr_assert_not_null(strstr(line, "bench/slurm/strong-scaling.sbatch --eps 1e-6 --kernel helmholtz"),
                           "blrchol options not passed on: %s", line);
        cr_assert_not_null(strstr(line, ",N=50000,"), "N not exported: %s", line);
        jobs++;
    }
    cr_assert_eq(jobs, 4);
    cr_assert_eq(collect, 1);
    free(output);

    /* One rank per socket: two ranks per node, so 2 and 4 ranks. */
    code = shell("bench/slurm/submit-series --nodes 1,2 --per-socket 2 --dry-run", &output);
    cr_assert_eq(code, 0, "exit %d\n%s", code, output);
    cr_assert_not_null(strstr(output, "--ntasks-per-node=2 "), "%s", output);
    cr_assert_not_null(strstr(output, "--ntasks-per-socket=1 "), "%s", output);
    cr_assert_not_null(strstr(output, "--collect-only --ranks 2,4 "), "%s", output);
    free(output);

    code = shell("bench/slurm/submit-series --nodes 1,x --dry-run", &output);
    cr_assert_eq(code, 2, "exit %d\n%s", code, output);
    cr_assert_not_null(strstr(output, "bad node count 'x'"), "%s", output);
    free(output);

    /* Where a SLURM controller answers, it accepts the template. */
    if (system("command -v sbatch >/dev/null 2>&1 && scontrol ping >/dev/null 2>&1") == 0) {
        code = shell("sbatch --test-only --nodes=1 --cpus-per-task=1 bench/slurm/strong-scaling.sbatch", &output);
        cr_assert_eq(code, 0, "sbatch --test-only: exit %d\n%s", code, output);
        free(output);
    }
}

Test(bench_scaling, submit_series_local_runs_the_series_here, .timeout = 300)
{
    char dir[64] = "/tmp/blrchol-scaling-XXXXXX", command[512];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(command, sizeof command, "bench/slurm/submit-series --local --nodes 1,2 -n 800 --out %s -- --nb 128", dir);
    char *output = NULL;
    int code = shell(command, &output);
    cr_assert_eq(code, 0, "%s: exit %d\n%s", command, code, output);
    free(output);
    series_t series;
    read_csv(dir, &series);
    const int expected[] = {1, 2};
    check_series(&series, expected, 2, 0);
    snprintf(command, sizeof command, "rm -rf %s", dir);
    cr_assert_eq(system(command), 0);
}
