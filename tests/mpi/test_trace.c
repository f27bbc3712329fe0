/*
 * --trace under mpirun: the task spans of every rank together hold exactly
 * the tasks the tiled algorithm submits (closed-form counts), a worker
 * never runs two tasks at once, and bench/timeline draws them as a PNG.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

#define NT 8 /* -n 2000 --nb 256: 7 full tiles and one of 208 */
#define MAX_SPANS 4096

struct span {
    int rank, worker;
    char kind[16];
    double start, end;
};

static int read_spans(const char *path, struct span *spans, int count)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "no task trace %s", path);
    char line[256];
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_str_eq(line, "rank,worker,kind,start,end\n");
    while (fgets(line, sizeof line, f)) {
        cr_assert_lt(count, MAX_SPANS);
        struct span *s = &spans[count++];
        cr_assert_eq(sscanf(line, "%d,%d,%15[a-z_],%lf,%lf", &s->rank, &s->worker, s->kind, &s->start, &s->end), 5,
                     "bad row in %s: %s", path, line);
        cr_assert_leq(s->start, s->end, "%s: a task ends before it starts: %s", path, line);
    }
    fclose(f);
    return count;
}

static int count_kind(const struct span *spans, int count, const char *kind)
{
    int found = 0;
    for (int i = 0; i < count; i++)
        found += strcmp(spans[i].kind, kind) == 0;
    return found;
}

Test(trace, task_spans_count_every_task_once, .timeout = 300)
{
    char base[64], args[512];
    temp_path(base, sizeof base, ".csv");
    snprintf(args, sizeof args, "-n 2000 --nb 256 --eps 1e-6 --quiet --trace %s", base);
    char *output = NULL;
    int status = run_blrchol(2, args, &output);
    cr_assert_eq(status, 0, "blrchol %s exited %d:\n%s", args, status, output);
    free(output);

    static struct span spans[MAX_SPANS];
    char stem[64], path[96];
    snprintf(stem, sizeof stem, "%.*s", (int)strlen(base) - 4, base);
    int count = 0;
    for (int rank = 0; rank < 2; rank++) {
        snprintf(path, sizeof path, "%s.tasks.csv.%d", stem, rank);
        int before = count;
        count = read_spans(path, spans, count);
        for (int i = before; i < count; i++)
            cr_assert_eq(spans[i].rank, rank, "%s holds a row of rank %d", path, spans[i].rank);
    }

    /* Right-looking tiled Cholesky on NT x NT tiles: one POTRF per column,
     * one TRSM and one SYRK per off-diagonal tile, one GEMM per triple
     * i > j > k; generation builds the lower triangle; each solve sweep has
     * one TRSV per diagonal and one GEMV per off-diagonal tile. */
    const int pairs = NT * (NT - 1) / 2;
    cr_expect_eq(count_kind(spans, count, "generate"), NT * (NT + 1) / 2);
    cr_expect_eq(count_kind(spans, count, "potrf"), NT);
    cr_expect_eq(count_kind(spans, count, "trsm"), pairs);
    cr_expect_eq(count_kind(spans, count, "syrk"), pairs);
    cr_expect_eq(count_kind(spans, count, "gemm"), NT * (NT - 1) * (NT - 2) / 6);
    cr_expect_eq(count_kind(spans, count, "trsv"), 2 * NT);
    cr_expect_eq(count_kind(spans, count, "gemv"), 2 * pairs);
    /* The solves add a rank's partial sum into a vector piece once per
     * (piece, rank) pair where that rank owns tiles of the piece's row
     * (forward) or column (backward) and does not own the piece.  Counted
     * here by brute force over the 1 x 2 grid (owner of tile (i, j): j mod 2). */
    int adds = 0;
    for (int piece = 0; piece < NT; piece++)
        for (int rank = 0; rank < 2; rank++) {
            int in_row = 0, in_column = 0;
            for (int k = 0; k < piece; k++)
                in_row |= k % 2 == rank;
            for (int k = piece + 1; k < NT; k++)
                in_column |= piece % 2 == rank;
            if (rank != piece % 2)
                adds += in_row + in_column;
        }
    cr_expect_eq(count_kind(spans, count, "vector_add"), adds);

    /* One worker runs one task at a time. */
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++)
            if (spans[i].rank == spans[j].rank && spans[i].worker == spans[j].worker)
                cr_assert(spans[i].end <= spans[j].start || spans[j].end <= spans[i].start,
                          "rank %d worker %d runs %s [%g, %g] and %s [%g, %g] at once", spans[i].rank,
                          spans[i].worker, spans[i].kind, spans[i].start, spans[i].end, spans[j].kind,
                          spans[j].start, spans[j].end);

    /* The picture: a PNG whose header announces a non-empty image. */
    char png[64], command[512];
    temp_path(png, sizeof png, ".png");
    snprintf(command, sizeof command, "bench/timeline --draw %s %s >/dev/null 2>&1", png, base);
    cr_assert_eq(system(command), 0, "%s failed", command);
    FILE *f = fopen(png, "rb");
    cr_assert_not_null(f);
    unsigned char header[24];
    cr_assert_eq(fread(header, 1, sizeof header, f), sizeof header);
    fclose(f);
    cr_assert_eq(memcmp(header, "\x89PNG\r\n\x1a\n", 8), 0, "%s is not a PNG", png);
    unsigned width = (unsigned)header[16] << 24 | header[17] << 16 | header[18] << 8 | header[19];
    unsigned height = (unsigned)header[20] << 24 | header[21] << 16 | header[22] << 8 | header[23];
    cr_assert(width > 0 && height > 0, "PNG of %ux%u", width, height);

    unlink(png);
    unlink(base);
    for (int rank = 0; rank < 2; rank++) {
        snprintf(path, sizeof path, "%s.csv.%d", stem, rank);
        unlink(path);
        snprintf(path, sizeof path, "%s.tasks.csv.%d", stem, rank);
        unlink(path);
    }
}
