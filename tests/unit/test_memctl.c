/* memctl's accounting and hysteresis, driven by scripted events in one
 * process; expected charges are worked out by hand in each test. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "memctl/lookahead.h"
#include "memctl/memctl.h"
#include "memctl/tile_mem.h"

static memctl_config_t config(int enabled, size_t high, size_t low)
{
    return (memctl_config_t){.enabled = enabled, .high = high, .low = low, .growth_margin = 0.25, .ntiles = 16};
}

static size_t charged(void)
{
    memctl_stats_t s;
    memctl_get_stats(&s);
    return s.charged;
}

static memctl_stats_t stats(void)
{
    memctl_stats_t s;
    memctl_get_stats(&s);
    return s;
}

Test(memctl, local_remote_and_release_charges)
{
    tile_mem_reset();
    memctl_config_t cfg = config(1, 1000000, 900000);
    cr_assert_eq(memctl_init(&cfg), 0);
    memctl_local_set(0, 1000);              /* 1000, and 250 into the pool */
    cr_assert_eq(charged(), 1250);
    memctl_local_set(0, 1200);              /* paid from the pool: 50 left */
    cr_assert_eq(charged(), 1250);
    cr_assert_eq(stats().pool, 50);
    memctl_local_set(0, 2000);              /* 800 more: 50 paid, 750 charged on top */
    cr_assert_eq(charged(), 2000);
    cr_assert_eq(stats().growth_overruns, 1);
    cr_assert_eq(stats().growth_overrun_bytes, 750);
    memctl_local_set(0, 100);               /* shrinking gives the bytes back */
    cr_assert_eq(charged(), 100);
    cr_assert_eq(memctl_reserve_remote(0, 5000), 0, "a local tile is never reserved");
    cr_assert_eq(charged(), 100);

    cr_assert_eq(memctl_reserve_remote(3, 4000), 0);
    cr_assert_eq(charged(), 100 + 4000);
    memctl_received(3, 700);                /* corrected to the received size */
    cr_assert_eq(charged(), 100 + 700);
    cr_assert_eq(memctl_reserve_remote(3, 4000), 0); /* received again after a flush */
    cr_assert_eq(charged(), 100 + 700 + 4000);
    memctl_released(3);                     /* the first copy is freed */
    cr_assert_eq(charged(), 100 + 4000);
    memctl_received(3, 900);
    cr_assert_eq(charged(), 100 + 900);
    memctl_released(3);
    cr_assert_eq(charged(), 100);
    memctl_released(3);                     /* nothing held: no-op */
    cr_assert_eq(charged(), 100);

    memctl_received(5, 300);                /* nobody reserved it */
    memctl_stats_t s = stats();
    cr_assert_eq(s.unreserved_receives, 1);
    cr_assert_eq(s.receptions, 3);
    cr_assert_eq(s.releases, 2);
    cr_assert_eq(s.underreserved_receives, 0);
    cr_assert_eq(s.charged, 400);
    cr_assert_eq(s.peak_charged, 100 + 700 + 4000);
    memctl_shutdown();
}

/* A tile never grows past its dense form, so its margin stops there: a
 * dense tile adds nothing to the pool, a low-rank one near dense at most
 * the way to its dense size. */
Test(memctl, growth_margin_stops_at_the_dense_size)
{
    tile_mem_reset();
    memctl_config_t cfg = config(1, 1000000, 900000); /* margin 0.25 */
    cr_assert_eq(memctl_init(&cfg), 0);
    memctl_local_register(0, 4000, 4000);   /* dense tile: no margin */
    cr_assert_eq(charged(), 4000);
    memctl_local_register(1, 1000, 1100);   /* margin 250 capped at 100 */
    cr_assert_eq(charged(), 4000 + 1000 + 100);
    memctl_local_register(2, 1000, 8000);   /* far from dense: the full margin */
    cr_assert_eq(charged(), 4000 + 1000 + 100 + 1000 + 250);
    cr_assert_eq(stats().pool, 350);
    memctl_local_set(1, 1100);              /* grown to dense: paid from the pool */
    cr_assert_eq(charged(), 6350);
    memctl_local_register(2, 3000, 8000);   /* a second registration is a resize */
    cr_assert_eq(charged(), 4000 + 1100 + 3000);
    cr_assert_eq(stats().pool, 0);
    cr_assert_eq(stats().growth_overrun_bytes, 2000 - 250);
    memctl_shutdown();
}

/* The pool's bound is the margins of the tiles still growing: as tiles
 * become final the pool shrinks to it, and gives the rest back. */
Test(memctl, final_tiles_leave_the_pool)
{
    memctl_config_t cfg = config(1, 1000000, 900000); /* margin 0.25 */
    cr_assert_eq(memctl_init(&cfg), 0);
    for (int t = 0; t < 4; t++)
        memctl_local_register(t, 1000, 100000);     /* 4 x (1000 + 250) */
    cr_assert_eq(charged(), 5000);
    memctl_local_set(0, 1400);                       /* pool 1000 -> 600 */
    cr_assert_eq(charged(), 5000);
    memctl_local_final(1);                           /* bound 750 > 600: nothing back */
    cr_assert_eq(charged(), 5000);
    memctl_local_final(2);                           /* bound 500: 100 back */
    cr_assert_eq(charged(), 4900);
    cr_assert_eq(stats().pool, 500);
    memctl_local_final(2);                           /* twice: no-op */
    memctl_local_final(0);
    memctl_local_final(3);
    cr_assert_eq(stats().pool, 0);
    cr_assert_eq(charged(), 1400 + 3 * 1000, "charged is exactly the tiles once all are final");
    cr_assert_eq(stats().growth_overruns, 0);
    memctl_shutdown();
}

/* A copy larger than its reservation is charged at its size on arrival
 * and counted; a smaller one gives the difference back. */
Test(memctl, underreserved_receptions_are_charged_and_counted)
{
    memctl_config_t cfg = config(1, 1000000, 900000);
    cr_assert_eq(memctl_init(&cfg), 0);
    cr_assert_eq(memctl_reserve_remote(7, 500), 0);
    cr_assert_eq(memctl_reserve_remote(8, 500), 0);
    memctl_received(7, 800);
    memctl_received(8, 200);
    memctl_stats_t s = stats();
    cr_assert_eq(s.charged, 1000);
    cr_assert_eq(s.underreserved_receives, 1);
    cr_assert_eq(s.underreserved_bytes, 300);
    memctl_shutdown();
}

/* high leaves two messages to the capacity; low sits 4 messages under it,
 * or halfway to the floor when that is closer. */
Test(memctl, watermarks_follow_from_the_capacity)
{
    size_t high, low;
    memctl_watermarks_for(100000, 1000, 10000, &high, &low);
    cr_assert_eq(high, 98000);
    cr_assert_eq(low, 94000);
    memctl_watermarks_for(100000, 1000, 96000, &high, &low);
    cr_assert_eq(high, 98000);
    cr_assert_eq(low, 97000, "halfway between the floor and high");
    memctl_watermarks_for(1500, 1000, 0, &high, &low);
    cr_assert_eq(high, 0, "no room for two messages");
    cr_assert_eq(low, 0);
}

Test(memctl, a_tile_larger_than_high_is_refused_at_once)
{
    memctl_config_t cfg = config(1, 1000, 800);
    cr_assert_eq(memctl_init(&cfg), 0);
    cr_assert_eq(memctl_reserve_remote(1, 1001), -1);
    cr_assert_eq(charged(), 0);
    memctl_shutdown();
}

Test(memctl, disabled_accounts_but_never_blocks)
{
    memctl_config_t cfg = config(0, 1000, 800);
    cr_assert_eq(memctl_init(&cfg), 0);
    for (int t = 0; t < 8; t++)
        cr_assert_eq(memctl_reserve_remote(t, 600), 0);
    memctl_stats_t s;
    memctl_get_stats(&s);
    cr_assert_eq(s.charged, 4800);
    cr_assert_eq(s.blocks, 0);
    memctl_shutdown();
}

/* Hysteresis with a real releasing thread: the submitter blocks at high
 * and resumes only once charged fell under low. */
static atomic_int releases_started;

static void *release_slowly(void *unused)
{
    for (int t = 0; t < 8; t++) {
        usleep(20000);
        /* Counted before the release, so that the submitter, once woken,
         * sees at least every release that could have woken it. */
        atomic_store(&releases_started, t + 1);
        memctl_released(t);
    }
    return NULL;
}

Test(memctl, blocks_at_high_resumes_under_low, .timeout = 20)
{
    memctl_config_t cfg = config(1, 1000, 450);
    cr_assert_eq(memctl_init(&cfg), 0);
    for (int t = 0; t < 8; t++) {
        cr_assert_eq(memctl_reserve_remote(t, 100), 0); /* 8 x 100 = 800 <= high */
        memctl_received(t, 100);
    }
    pthread_t releaser;
    atomic_store(&releases_started, 0);
    pthread_create(&releaser, NULL, release_slowly, NULL);
    /* 800 + 300 > 1000: blocks until charged < 450, i.e. after the fourth
     * release (800 - 4 x 100 = 400). */
    cr_assert_eq(memctl_reserve_remote(10, 300), 0);
    int released = atomic_load(&releases_started);
    cr_assert_geq(released, 4, "resumed after %d releases, while charged was still >= low", released);
    pthread_join(releaser, NULL);
    cr_assert_eq(charged(), 300);
    memctl_stats_t s;
    memctl_get_stats(&s);
    cr_assert_eq(s.blocks, 1);
    cr_assert_gt(s.blocked_seconds, 0);
    cr_assert_leq(s.peak_charged, 1000);
    cr_assert_eq(s.overflows, 0);
    memctl_shutdown();
}

Test(memctl, a_fixed_charge_counts_towards_the_watermarks, .timeout = 10)
{
    memctl_config_t cfg = config(1, 1000, 500);
    cfg.fixed = 600;                            /* a send window */
    cr_assert_eq(memctl_init(&cfg), 0);
    cr_assert_eq(charged(), 600);
    memctl_local_set(0, 200);                   /* 250 with the margin */
    cr_assert_eq(charged(), 850);
    memctl_stats_t s;
    memctl_get_stats(&s);
    cr_assert_eq(s.peak_charged, 850);
    memctl_reserve_remote(3, 100);              /* 950 <= high: no block */
    memctl_received(3, 100);
    memctl_released(3);
    cr_assert_eq(charged(), 850, "the fixed charge is never released");
    memctl_get_stats(&s);
    cr_assert_eq(s.blocks, 0);
    memctl_shutdown();
}

/* ---- the step look-ahead (memctl/lookahead.h) */

static atomic_int step0_done;

/* Finishes step 0's three tasks one by one, counting each before saying so. */
static void *finish_step0_slowly(void *unused)
{
    (void)unused;
    for (int t = 0; t < 3; t++) {
        usleep(20000);
        atomic_fetch_add(&step0_done, 1);
        lookahead_task_done(0);
    }
    return NULL;
}

/* With L = 2, step 2 begins only once every task of step 0 is done; the
 * tasks of step 1, still pending, do not hold it. */
Test(memctl, step_lookahead_waits_for_step_k_minus_l, .timeout = 10)
{
    cr_assert_eq(lookahead_start(5, 2), 0);
    for (int t = 0; t < 3; t++)
        lookahead_task_submitted(0);
    lookahead_task_submitted(1);
    lookahead_enter_step(0);
    lookahead_enter_step(1); /* steps -2 and -1: nothing to wait for */
    atomic_store(&step0_done, 0);
    pthread_t finisher;
    pthread_create(&finisher, NULL, finish_step0_slowly, NULL);
    lookahead_enter_step(2);
    cr_assert_eq(atomic_load(&step0_done), 3, "step 2 began with %d of step 0's 3 tasks done",
                 atomic_load(&step0_done));
    pthread_join(finisher, NULL);
    long waits;
    double seconds;
    lookahead_get_waits(&waits, &seconds);
    cr_assert_eq(waits, 1);
    cr_assert_gt(seconds, 0);
    lookahead_task_done(1);
    lookahead_enter_step(3); /* step 1 is done: no wait */
    lookahead_get_waits(&waits, &seconds);
    cr_assert_eq(waits, 1);
    lookahead_stop();
}

/* L = 0 is unbounded: nothing is counted and no step waits. */
Test(memctl, step_lookahead_zero_never_waits, .timeout = 10)
{
    cr_assert_eq(lookahead_start(5, 0), 0);
    lookahead_task_submitted(0);
    lookahead_enter_step(4);
    long waits;
    double seconds;
    lookahead_get_waits(&waits, &seconds);
    cr_assert_eq(waits, 0);
    lookahead_stop();
}

static int always_idle(void) { return 1; }

Test(memctl, idle_runtime_ends_a_block_as_an_overflow, .timeout = 10)
{
    memctl_config_t cfg = config(1, 1000, 500);
    cfg.runtime_idle = always_idle;
    cr_assert_eq(memctl_init(&cfg), 0);
    cr_assert_eq(memctl_reserve_remote(1, 900), 0);
    cr_assert_eq(memctl_reserve_remote(2, 900), 0); /* would wait forever */
    memctl_stats_t s;
    memctl_get_stats(&s);
    cr_assert_eq(s.blocks, 1);
    cr_assert_eq(s.overflows, 1);
    cr_assert_eq(s.charged, 1800);
    memctl_shutdown();
}

Test(memctl, trace_is_a_csv_with_the_block, .timeout = 10)
{
    FILE *trace = tmpfile();
    memctl_config_t cfg = config(1, 1000, 500);
    cfg.runtime_idle = always_idle;
    cfg.trace = trace;
    cr_assert_eq(memctl_init(&cfg), 0);
    memctl_reserve_remote(1, 900);
    memctl_reserve_remote(2, 900);
    memctl_shutdown();
    rewind(trace);
    char line[256];
    cr_assert_not_null(fgets(line, sizeof line, trace));
    cr_assert_str_eq(line, "rank,time,charged,actual,blocked,runtime,early\n");
    double last_time = -1;
    int blocked_rows = 0, rows = 0;
    while (fgets(line, sizeof line, trace)) {
        int rank, blocked;
        double time;
        size_t c, a, runtime, early;
        cr_assert_eq(sscanf(line, "%d,%lf,%zu,%zu,%d,%zu,%zu", &rank, &time, &c, &a, &blocked, &runtime, &early), 7,
                     "%s", line);
        cr_assert_geq(time, last_time);
        last_time = time;
        blocked_rows += blocked;
        rows++;
    }
    cr_assert_gt(rows, 2);
    cr_assert_geq(blocked_rows, 1);
    fclose(trace);
}

/* Early data (a tile StarPU-MPI received before its receive was posted)
 * is charged as it arrives, nobody having reserved it, and discharged when
 * it is unpacked; its later reservation and reception are the ordinary
 * ones.  Charged early data counts towards the watermarks and its unpack
 * wakes a blocked submitter. */
Test(memctl, early_data_is_charged_until_unpacked, .timeout = 10)
{
    memctl_config_t cfg = config(1, 10000, 5000);
    cr_assert_eq(memctl_init(&cfg), 0);
    memctl_local_set(0, 2000);                  /* 2500 */
    memctl_early(+3000);                        /* tile 3 arrives early */
    cr_assert_eq(charged(), 5500);
    memctl_stats_t s;
    memctl_get_stats(&s);
    cr_assert_eq(s.early, 3000);
    cr_assert_eq(memctl_reserve_remote(3, 3200), 0); /* its task is submitted: 8700 <= high */
    cr_assert_eq(charged(), 8700);
    memctl_received(3, 3000);                   /* unpacked into its copy ... */
    memctl_early(-3000);                        /* ... and the buffer freed */
    cr_assert_eq(charged(), 5500);
    memctl_get_stats(&s);
    cr_assert_eq(s.early, 0);
    cr_assert_eq(s.peak_charged, 8700);
    cr_assert_eq(s.unreserved_receives, 0);
    memctl_released(3);
    cr_assert_eq(charged(), 2500);
    memctl_shutdown();
}

static void *unpack_early_later(void *unused)
{
    usleep(50000);
    memctl_early(-6000);
    return NULL;
}

Test(memctl, unpacking_early_data_ends_a_block, .timeout = 10)
{
    memctl_config_t cfg = config(1, 10000, 5000);
    cr_assert_eq(memctl_init(&cfg), 0);
    memctl_early(+6000);
    memctl_early(+3000);                        /* 9000 charged, no reservation */
    pthread_t unpacker;
    pthread_create(&unpacker, NULL, unpack_early_later, NULL);
    cr_assert_eq(memctl_reserve_remote(1, 2000), 0); /* 11000 > high: waits for < low */
    pthread_join(unpacker, NULL);
    cr_assert_eq(charged(), 3000 + 2000);
    memctl_stats_t s;
    memctl_get_stats(&s);
    cr_assert_eq(s.blocks, 1);
    cr_assert_eq(s.overflows, 0);
    memctl_shutdown();
}

Test(memctl, parse_size)
{
    struct { const char *text; size_t bytes; } good[] = {
        {"4096", 4096}, {"512K", 512ull << 10}, {"512M", 512ull << 20}, {"18G", 18ull << 30},
        {"1.5G", 3ull << 29}, {"2T", 2ull << 40}, {"512MiB", 512ull << 20}, {"18GB", 18ull << 30}, {"64k", 64ull << 10}};
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        size_t bytes = 0;
        cr_assert_eq(memctl_parse_size(good[k].text, &bytes), 0, "%s", good[k].text);
        cr_assert_eq(bytes, good[k].bytes, "%s gave %zu", good[k].text, bytes);
    }
    const char *bad[] = {"", "-1", "12X", "G", "1.5.3", "5GG"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        size_t bytes;
        cr_assert_eq(memctl_parse_size(bad[k], &bytes), -1, "'%s' accepted", bad[k]);
    }
}
