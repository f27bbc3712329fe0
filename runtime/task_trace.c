#include "runtime/task_trace.h"

#include <starpu.h>
#include <stdlib.h>
#include <time.h>

struct span {
    double start, end;
    task_kind_t kind;
};

/* One growable buffer per StarPU worker, written only by that worker. */
struct worker_spans {
    struct span *spans;
    size_t count, capacity;
};

static struct worker_spans per_worker[STARPU_NMAXWORKERS];
static struct timespec epoch;
static int recording;

static const char *const kind_names[TASK_KINDS] = {"generate", "potrf", "trsm", "syrk",
                                                   "gemm",     "trsv",  "gemv", "vector_add"};

const char *task_kind_name(task_kind_t kind) { return kind < TASK_KINDS ? kind_names[kind] : "?"; }

void task_trace_start(void)
{
    clock_gettime(CLOCK_MONOTONIC, &epoch);
    recording = 1;
}

int task_trace_enabled(void) { return recording; }

double task_trace_now(void)
{
    if (!recording)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - epoch.tv_sec) + 1e-9 * (now.tv_nsec - epoch.tv_nsec);
}

void task_trace_record(task_kind_t kind, double start)
{
    if (!recording)
        return;
    int worker = starpu_worker_get_id();
    if (worker < 0 || worker >= STARPU_NMAXWORKERS)
        return;
    struct worker_spans *w = &per_worker[worker];
    if (w->count == w->capacity) {
        size_t capacity = w->capacity ? 2 * w->capacity : 4096;
        struct span *grown = realloc(w->spans, capacity * sizeof *grown);
        if (!grown)
            return; /* a gap in the picture rather than a failed run */
        w->spans = grown;
        w->capacity = capacity;
    }
    w->spans[w->count++] = (struct span){start, task_trace_now(), kind};
}

int task_trace_write(FILE *out, int rank)
{
    int failed = fprintf(out, "rank,worker,kind,start,end\n") < 0;
    for (int worker = 0; worker < STARPU_NMAXWORKERS; worker++) {
        struct worker_spans *w = &per_worker[worker];
        for (size_t i = 0; i < w->count && !failed; i++)
            failed = fprintf(out, "%d,%d,%s,%.6f,%.6f\n", rank, worker, kind_names[w->spans[i].kind],
                             w->spans[i].start, w->spans[i].end) < 0;
        free(w->spans);
        *w = (struct worker_spans){0};
    }
    recording = 0;
    return failed ? -1 : 0;
}
