/*
 * lookahead.c: the step look-ahead (lookahead.h).  pending[k] counts the
 * tasks of step k submitted here and not yet done; steps are entered in
 * order, so waiting for step k - L alone covers every earlier step.
 */
#include "memctl/lookahead.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static struct {
    int steps;             /* L; 0: off */
    int nsteps;
    long *pending;
    long waits;
    double waited_seconds;
    pthread_mutex_t lock;
    pthread_cond_t done;
} la;

int lookahead_start(int nsteps, int steps)
{
    la.steps = 0;
    la.waits = 0;
    la.waited_seconds = 0;
    if (steps <= 0 || nsteps <= 0)
        return 0;
    la.pending = calloc(nsteps, sizeof *la.pending);
    if (!la.pending)
        return -1;
    pthread_mutex_init(&la.lock, NULL);
    pthread_cond_init(&la.done, NULL);
    la.nsteps = nsteps;
    la.steps = steps;
    return 0;
}

void lookahead_stop(void)
{
    if (!la.steps)
        return;
    la.steps = 0;
    pthread_mutex_destroy(&la.lock);
    pthread_cond_destroy(&la.done);
    free(la.pending);
    la.pending = NULL;
}

static int counted(int k) { return la.steps && k >= 0 && k < la.nsteps; }

void lookahead_task_submitted(int k)
{
    if (!counted(k))
        return;
    pthread_mutex_lock(&la.lock);
    la.pending[k]++;
    pthread_mutex_unlock(&la.lock);
}

void lookahead_task_done(int k)
{
    if (!counted(k))
        return;
    pthread_mutex_lock(&la.lock);
    if (--la.pending[k] == 0)
        pthread_cond_broadcast(&la.done);
    pthread_mutex_unlock(&la.lock);
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

void lookahead_enter_step(int k)
{
    const int finished = k - la.steps;
    if (!counted(finished))
        return;
    pthread_mutex_lock(&la.lock);
    if (la.pending[finished] > 0) {
        const double began = now_seconds();
        la.waits++;
        while (la.pending[finished] > 0)
            pthread_cond_wait(&la.done, &la.lock);
        la.waited_seconds += now_seconds() - began;
    }
    pthread_mutex_unlock(&la.lock);
}

void lookahead_get_waits(long *waits, double *seconds)
{
    *waits = la.waits;
    *seconds = la.waited_seconds;
}
