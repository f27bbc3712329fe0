/*
 * bench/strong-scaling on a tiny problem (1, 2 and 4 ranks): the CSV has
 * the documented columns, one row per rank count, speedup and efficiency
 * that follow from the factor times (recomputed here), and every plot is a
 * PNG.  The SLURM scripts parse, and the driver's dry run submits one job
 * per node count plus the collect job.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

static const char *const columns[] = {"ranks", "p", "q", "workers_per_rank", "n", "nb", "time_factor", "speedup",
                                      "efficiency", "peak_actual_bytes", "peak_rss_bytes", "peak_charged_bytes",
                                      "memctl_blocked_seconds", "backward_error", "status"};
#define NCOLUMNS (sizeof columns / sizeof columns[0])

/* Split a CSV line in place into at most NCOLUMNS fields. */
static int split(char *line, char **fields)
{
    int count = 0;
    line[strcspn(line, "\n")] = 0;
    for (char *field = strtok(line, ","); field && count < (int)NCOLUMNS; field = strtok(NULL, ","))
        fields[count++] = field;
    return count;
}

static void assert_png(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "no plot %s", path);
    unsigned char header[24];
    cr_assert_eq(fread(header, 1, sizeof header, f), sizeof header, "%s is truncated", path);
    fclose(f);
    cr_assert_eq(memcmp(header, "\x89PNG\r\n\x1a\n", 8), 0, "%s is not a PNG", path);
    cr_assert_eq(memcmp(header + 12, "IHDR", 4), 0, "%s has no IHDR", path);
    unsigned width = (unsigned)header[16] << 24 | header[17] << 16 | header[18] << 8 | header[19];
    unsigned height = (unsigned)header[20] << 24 | header[21] << 16 | header[22] << 8 | header[23];
    cr_assert(width > 0 && height > 0, "%s is %ux%u", path, width, height);
}

Test(bench_scaling, csv_and_plots_of_a_tiny_series, .timeout = 600)
{
    char dir[64] = "/tmp/blrchol-scaling-XXXXXX", command[512];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(command, sizeof command,
             "bench/strong-scaling --ranks 1,2,4 -n 1500 --out %s -- --nb 256 --eps 1e-6 --check > %s/log 2>&1", dir,
             dir);
    cr_assert_eq(system(command), 0, "%s failed", command);

    char path[128], line[1024];
    snprintf(path, sizeof path, "%s/strong-scaling.csv", dir);
    FILE *csv = fopen(path, "r");
    cr_assert_not_null(csv, "no %s", path);
    char *fields[NCOLUMNS];
    cr_assert_not_null(fgets(line, sizeof line, csv));
    cr_assert_eq(split(line, fields), (int)NCOLUMNS, "header: %s", line);
    for (size_t c = 0; c < NCOLUMNS; c++)
        cr_assert_str_eq(fields[c], columns[c]);

    const int expected_ranks[] = {1, 2, 4};
    double t0 = 0;
    for (int row = 0; row < 3; row++) {
        cr_assert_not_null(fgets(line, sizeof line, csv), "row %d missing", row + 1);
        cr_assert_eq(split(line, fields), (int)NCOLUMNS, "row %d: %s", row + 1, line);
        int ranks = atoi(fields[0]), p = atoi(fields[1]), q = atoi(fields[2]);
        cr_assert_eq(ranks, expected_ranks[row]);
        cr_assert_eq(p * q, ranks, "grid %dx%d for %d ranks", p, q, ranks);
        cr_assert_str_eq(fields[14], "ok");
        double time = atof(fields[6]), speedup = atof(fields[7]), efficiency = atof(fields[8]);
        cr_assert_gt(time, 0);
        if (row == 0)
            t0 = time;
        cr_assert(fabs(speedup - t0 / time) <= 1e-3 * (t0 / time), "row %d: speedup %g, times give %g", row + 1,
                  speedup, t0 / time);
        cr_assert(fabs(efficiency - t0 / time / ranks) <= 1e-3 * (t0 / time / ranks),
                  "row %d: efficiency %g, times give %g", row + 1, efficiency, t0 / time / ranks);
        cr_assert_gt(atof(fields[9]), 0, "peak_actual_bytes");
        cr_assert_gt(atof(fields[10]), 0, "peak_rss_bytes");
        double backward_error = atof(fields[13]);
        cr_assert(backward_error > 0 && backward_error < 1e-5, "row %d: backward error %g", row + 1, backward_error);
    }
    cr_assert_null(fgets(line, sizeof line, csv), "extra row: %s", line);
    fclose(csv);

    const char *plots[] = {"time-speedup.png", "efficiency.png", "memory.png", "memctl-blocked.png"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, plots[i]);
        assert_png(path);
    }
    snprintf(command, sizeof command, "rm -rf %s", dir);
    cr_assert_eq(system(command), 0);
}

Test(bench_scaling, slurm_scripts_parse_and_the_dry_run_submits_the_series)
{
    cr_assert_eq(system("bash -n bench/slurm/strong-scaling.sbatch && bash -n bench/slurm/submit-series"), 0);
    char out[64];
    temp_path(out, sizeof out, ".txt");
    char command[256];
    snprintf(command, sizeof command, "bench/slurm/submit-series --nodes 1,2,4,8 --dry-run -- --eps 1e-6 > %s 2>/dev/null",
             out);
    cr_assert_eq(system(command), 0, "%s failed", command);
    char *text = slurp(out);
    unlink(out);
    cr_assert_not_null(text);
    int jobs = 0, collect = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cr_assert_eq(strncmp(line, "sbatch ", 7), 0, "not an sbatch line: %s", line);
        if (strstr(line, "--dependency=afterok:"))
            collect++;
        else {
            jobs++;
            char expected[32];
            snprintf(expected, sizeof expected, "'--nodes=%d'", jobs == 4 ? 8 : jobs == 3 ? 4 : jobs);
            cr_assert_not_null(strstr(line, expected), "job %d: %s", jobs, line);
            cr_assert_not_null(strstr(line, "'--eps' '1e-6'"), "options not passed on: %s", line);
        }
    }
    cr_assert_eq(jobs, 4);
    cr_assert_eq(collect, 1);
    free(text);
    if (system("command -v sbatch >/dev/null 2>&1") == 0)
        cr_assert_eq(system("sbatch --test-only --nodes=1 bench/slurm/strong-scaling.sbatch >/dev/null 2>&1"), 0);
}
