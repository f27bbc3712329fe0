/*
 * process_memory.c: what keeps a rank's resident memory close to what the
 * tile allocator counts (memctl bounds only the latter); the measurements
 * are in docs/design/process-memory.md.
 *
 * Task descriptors.  Every rank submits the whole task flow up front, and
 * StarPU keeps a descriptor (~2 KB) for every task submitted and not
 * finished: ~nt^3/6 of them at once, a gap no allocator of ours sees.
 * StarPU 1.3 blocks starpu_task_submit while more than
 * STARPU_LIMIT_MAX_SUBMITTED_TASKS are pending, until they are down to
 * STARPU_LIMIT_MIN_SUBMITTED_TASKS (blrchol submits from the main thread
 * only, never from a callback).  This cannot deadlock across ranks: the
 * rank furthest behind in the common task order has every input of its
 * pending tasks sent, so it drains its window, as with memctl's blocking.
 *
 * Malloc arenas.  glibc gives contending threads arenas of their own; a
 * tile freed into one leaves a hole workers on another cannot fill, and
 * the holes pile up as ranks grow.  One arena shares them; tile buffers
 * are tens of KB, so its lock is rarely taken.
 */
#include "runtime/process_memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void process_memory_configure_malloc(void)
{
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
    if (!getenv("MALLOC_ARENA_MAX"))
        mallopt(M_ARENA_MAX, 1);
#endif
}

void process_memory_configure(long window)
{
    process_memory_configure_malloc();
    /* StarPU's own variables, when the user set them, decide; StarPU
     * refuses negative values, so "no limit" is leaving them unset. */
    if (getenv("STARPU_LIMIT_MAX_SUBMITTED_TASKS") || window <= 0)
        return;
    char max[32], min[32];
    snprintf(max, sizeof max, "%ld", window);
    snprintf(min, sizeof min, "%ld", window / 10 * 9); /* resume at 90% */
    setenv("STARPU_LIMIT_MAX_SUBMITTED_TASKS", max, 1);
    setenv("STARPU_LIMIT_MIN_SUBMITTED_TASKS", min, 0);
}

int process_memory_task_window(void)
{
    const char *max = getenv("STARPU_LIMIT_MAX_SUBMITTED_TASKS"), *min = getenv("STARPU_LIMIT_MIN_SUBMITTED_TASKS");
    if (!max || !min)
        return 0;
    return (int)atol(max);
}

double process_memory_peak_rss(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss * 1024.0;
}
