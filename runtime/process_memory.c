/*
 * process_memory.c: what keeps a rank's resident memory close to what the
 * tile allocator counts (memctl bounds only the latter).
 *
 * Task descriptors.  Every rank submits the whole sequential task flow
 * up front, and StarPU keeps a descriptor (task, job, dependency lists:
 * 1.7 to 2.5 KB measured) for every task submitted and not finished: the
 * ~nt^3/6 tasks of a factorisation at once unless submission is held
 * back.  Measured (1 rank x 2 workers, --eps 1e-6): at n = 30000 (nt 59,
 * 36 000 tasks) peak RSS 439 MiB for 299 MiB of tiles, at n = 60000
 * (nt 118, 280 000 tasks) 1462 MiB for 763 MiB; the gap grows as nt^3
 * and no allocator of ours sees it.  StarPU 1.3 blocks starpu_task_submit
 * while more than STARPU_LIMIT_MAX_SUBMITTED_TASKS tasks are pending,
 * until they are down to STARPU_LIMIT_MIN_SUBMITTED_TASKS (src/core/task.c;
 * never from a callback, and blrchol submits from the main thread only).
 * This cannot deadlock across ranks: the rank furthest behind in the
 * common task order has every input of its pending tasks sent (its peers
 * passed those tasks) and so drains its window, as with memctl's blocking.
 * 10 000 pending tasks (~20 MiB) still look well ahead: several panel
 * steps at nt = 59, half of the first one at nt = 196.
 *
 * Malloc arenas.  glibc gives threads that contend for malloc arenas of
 * their own; a tile freed into one arena leaves a hole the workers using
 * another cannot fill, and as ranks grow during the factorisation the
 * arenas' free space piles up (45 MiB at n = 30000).  One arena shares
 * the holes; tile buffers are tens of KB, so the arena's lock is taken a
 * few thousand times a second at most.  With both: 358 MiB at n = 30000,
 * 856 MiB at n = 60000 (RSS at start 20 MiB; bench/process-memory).
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

void process_memory_configure(void)
{
    process_memory_configure_malloc();
    /* StarPU's own variables, when the user set them, decide; StarPU
     * refuses negative values, so "no limit" is leaving them unset. */
    if (getenv("STARPU_LIMIT_MAX_SUBMITTED_TASKS"))
        return;
    const char *text = getenv("BLRCHOL_TASK_WINDOW");
    long window = text ? atol(text) : BLRCHOL_TASK_WINDOW;
    if (window <= 0)
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
