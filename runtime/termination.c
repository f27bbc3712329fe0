#include "runtime/termination.h"

#include <signal.h>
#include <stdatomic.h>
#include <time.h>

/* Lock-free, hence safe to store from a signal handler. */
static atomic_int requested;

void termination_request(void) { atomic_store(&requested, 1); }

int termination_requested(void) { return atomic_load(&requested); }

static void on_signal(int signum)
{
    (void)signum;
    termination_request();
}

int termination_catch_signals(void)
{
    struct sigaction action = {0};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    /* One signal asks for a clean stop; a second is the user insisting. */
    action.sa_flags = SA_RESETHAND | SA_RESTART;
    return sigaction(SIGTERM, &action, NULL) == 0 && sigaction(SIGINT, &action, NULL) == 0 ? 0 : -1;
}

void wait_napping(MPI_Request *request)
{
    int done = 0;
    for (MPI_Test(request, &done, MPI_STATUS_IGNORE); !done; MPI_Test(request, &done, MPI_STATUS_IGNORE)) {
        const struct timespec nap = {0, 50 * 1000};
        nanosleep(&nap, NULL);
    }
}

int termination_agree(MPI_Comm comm)
{
    int mine = termination_requested(), any;
    MPI_Request request;
    MPI_Iallreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm, &request);
    wait_napping(&request);
    if (any)
        termination_request();
    return any;
}

void termination_vote_open(termination_vote_t *vote, MPI_Comm comm)
{
    *vote = (termination_vote_t){.comm = comm};
}

int termination_vote_step(termination_vote_t *vote)
{
    termination_vote_close(vote);
    if (vote->any) {
        termination_request();
        return 1;
    }
    vote->mine = termination_requested();
    MPI_Iallreduce(&vote->mine, &vote->any, 1, MPI_INT, MPI_MAX, vote->comm, &vote->request);
    vote->pending = 1;
    return 0;
}

void termination_vote_close(termination_vote_t *vote)
{
    if (vote->pending)
        wait_napping(&vote->request);
    vote->pending = 0;
}
