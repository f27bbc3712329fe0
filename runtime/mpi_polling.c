/*
 * mpi_polling.c: StarPU-MPI's progress thread takes naps when it has no
 * core of its own.
 *
 * StarPU-MPI 1.3's progress thread ("MPI") loops on MPI_Test for as long
 * as a request or a posted receive is pending, which during a
 * factorisation is always: it needs a core.  When the rank has no core
 * beyond its workers' (ranks x (workers + 1) > cores), it takes half of a
 * worker's: measured on 2 cores, 2 ranks x 1 worker, each MPI thread at
 * ~50% of a core, the factorisation of the default problem 7.2 s against
 * 3.6 s on 1 rank x 2 workers (whose MPI thread has nothing to wait for
 * and sleeps).  StarPU 1.3 has no setting for it, so blrchol defines
 * MPI_Test (the MPI profiling interface: the real call is PMPI_Test) and,
 * on that thread only, after a test that completes nothing while nothing
 * has completed for IDLE_NS, sleeps: naps double from NAP_MIN_NS up to
 * NAP_MAX_NS, and any completion ends them.  The test for an incoming
 * message's envelope runs with StarPU-MPI's progress lock held, which
 * submitting a request takes too, so a nap there can delay a submission;
 * measured all the same (default problem, 2 ranks x 1 worker on 2 cores):
 * factorisation 4.14 s with 250 us naps on both tests, 5.05 s with naps
 * kept to 50 us on the envelope's, 6.8 s spinning.  Naps of 1 ms doubled
 * the latency-bound solve (0.33 -> 0.66 s).
 *
 * Only where the thread is bound with its rank's workers: with the ranks
 * left unbound (more ranks than cores), napping made things worse, 3 and 4
 * ranks on 2 cores factorising in 7.1-10.8 s instead of 4.7-6.4 s.
 *
 * The symbol interposes when the program is linked with libblrchol before
 * the MPI library (the command, and pkg-config's order); otherwise MPI's
 * own MPI_Test runs and the report says no nap was taken.
 */
#define _GNU_SOURCE
#include "runtime/mpi_polling.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
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

/* 1 nap, 0 spin, -1 auto, -2 not a value. */
static int asked_mode(void)
{
    const char *asked = getenv("BLRCHOL_MPI_POLLING");
    if (!asked || strcmp(asked, "auto") == 0)
        return -1;
    if (strcmp(asked, "nap") == 0)
        return 1;
    if (strcmp(asked, "spin") == 0)
        return 0;
    return -2;
}

int mpi_polling_check(void) { return asked_mode() == -2 ? -1 : 0; }

void mpi_polling_start(int shares_a_bound_core)
{
    const int mode = asked_mode();
    atomic_store(&napping, mode >= 0 ? mode : shares_a_bound_core);
}

int mpi_polling_napping(void) { return atomic_load(&napping); }
long mpi_polling_naps_taken(void) { return atomic_load(&naps_taken); }
