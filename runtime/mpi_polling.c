/*
 * mpi_polling.c: StarPU-MPI's progress thread takes naps when it has no
 * core of its own (measurements: docs/design/placement-and-polling.md).
 *
 * StarPU-MPI 1.3's progress thread loops on MPI_Test while any request is
 * pending, which during a factorisation is always: when the rank has no
 * core beyond its workers', it takes half of a worker's, and StarPU 1.3
 * has no setting for it.  So blrchol defines MPI_Test (the profiling
 * interface: the real call is PMPI_Test) and, on that thread only, after a
 * test that completes nothing while nothing completed for IDLE_NS, sleeps:
 * naps double from NAP_MIN_NS to NAP_MAX_NS, and any completion ends them.
 *
 * NAP_MAX_NS is short because the envelope test runs under StarPU-MPI's
 * progress lock, which submissions take too, and because the solve is
 * latency-bound.  Naps only where the thread is bound with its rank's
 * workers: with ranks left unbound, the kernel's scheduling does better.
 *
 * The symbol interposes when the program is linked with libblrchol before
 * the MPI library (the command, and pkg-config's order); otherwise MPI's
 * own MPI_Test runs and the report says no nap was taken.
 */
#define _GNU_SOURCE
#include "runtime/mpi_polling.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define IDLE_NS 20000L /* spin this long after a completion */
#define NAP_MIN_NS 25000L
#define NAP_MAX_NS 250000L

static atomic_int napping;
static atomic_long naps_taken;

/* Per thread: 0 not looked at yet, 1 StarPU-MPI's progress thread, 2 another. */
static __thread int thread_kind;
static __thread struct timespec last_completion;
static __thread long nap_ns;

static long nanoseconds_since(const struct timespec *then, const struct timespec *now)
{
    return (now->tv_sec - then->tv_sec) * 1000000000L + (now->tv_nsec - then->tv_nsec);
}

static int is_progress_thread(void)
{
    if (!thread_kind) {
        char name[16] = "";
        pthread_getname_np(pthread_self(), name, sizeof name);
        thread_kind = strcmp(name, "MPI") == 0 ? 1 : 2;
        clock_gettime(CLOCK_MONOTONIC, &last_completion);
    }
    return thread_kind == 1;
}

int MPI_Test(MPI_Request *request, int *flag, MPI_Status *status)
{
    const int result = PMPI_Test(request, flag, status);
    if (result != MPI_SUCCESS || !atomic_load_explicit(&napping, memory_order_relaxed) || !is_progress_thread())
        return result;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (*flag) {
        last_completion = now;
        nap_ns = 0;
        return result;
    }
    if (nanoseconds_since(&last_completion, &now) < IDLE_NS)
        return result;
    nap_ns = !nap_ns ? NAP_MIN_NS : 2 * nap_ns > NAP_MAX_NS ? NAP_MAX_NS : 2 * nap_ns;
    const struct timespec nap = {0, nap_ns};
    nanosleep(&nap, NULL);
    atomic_fetch_add_explicit(&naps_taken, 1, memory_order_relaxed);
    return result;
}

int mpi_polling_parse(const char *text, mpi_polling_mode_t *mode)
{
    static const char *names[] = {[MPI_POLLING_AUTO] = "auto", [MPI_POLLING_NAP] = "nap", [MPI_POLLING_SPIN] = "spin"};
    for (int m = 0; m < (int)(sizeof names / sizeof *names); m++)
        if (strcmp(text, names[m]) == 0) {
            *mode = (mpi_polling_mode_t)m;
            return 0;
        }
    return -1;
}

void mpi_polling_start(mpi_polling_mode_t mode, int shares_a_bound_core)
{
    atomic_store(&napping, mode == MPI_POLLING_AUTO ? shares_a_bound_core : mode == MPI_POLLING_NAP);
}

int mpi_polling_napping(void) { return atomic_load(&napping); }
long mpi_polling_naps_taken(void) { return atomic_load(&naps_taken); }
