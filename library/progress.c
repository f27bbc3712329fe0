#include "library/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "runtime/codelets.h"

static pthread_t thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int running, stopping;
static const char *phase_name;
static long total_tasks, first_count;
static double period_seconds;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void *progress_loop(void *unused)
{
    double start = now();
    pthread_mutex_lock(&lock);
    while (!stopping) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += (time_t)period_seconds;
        pthread_cond_timedwait(&wake, &lock, &deadline);
        if (stopping)
            break;
        long done = codelets_completed() - first_count;
        double fraction = total_tasks > 0 ? (double)done / total_tasks : 0;
        double elapsed = now() - start;
        if (fraction > 0.001)
            fprintf(stderr, "blrchol: %s: %3.0f%% of tasks, %.0f s elapsed, ETA %.0f s\n", phase_name,
                    100 * fraction, elapsed, elapsed * (1 - fraction) / fraction);
        else
            fprintf(stderr, "blrchol: %s: started %.0f s ago\n", phase_name, elapsed);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

void progress_start(const char *phase, long total, double period, int quiet)
{
    if (quiet || running)
        return;
    phase_name = phase;
    total_tasks = total;
    first_count = codelets_completed();
    period_seconds = period;
    stopping = 0;
    running = pthread_create(&thread, NULL, progress_loop, NULL) == 0;
}

void progress_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    running = 0;
}
