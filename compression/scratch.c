#include "compression/scratch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define SCRATCH_ALIGN 64
#define SCRATCH_MIN_CHUNK ((size_t)64 << 10)

/* A stack is a list of chunks, the newest on top.  A push that does not
 * fit opens a new chunk; once the stack is empty again, its chunks are
 * merged into one of the high-water size, so that a thread settles on a
 * single block. */
struct chunk {
    struct chunk *below;
    size_t size, used;
    _Alignas(SCRATCH_ALIGN) char data[];
};

struct stack {
    struct chunk *top;
    size_t live, high_water;   /* bytes pushed and not popped; their most */
};

static _Thread_local struct stack *mine;
static pthread_key_t stack_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static atomic_size_t held, peak_held;

static struct chunk *chunk_new(size_t size, struct chunk *below)
{
    struct chunk *c = aligned_alloc(SCRATCH_ALIGN, (sizeof *c + size + SCRATCH_ALIGN - 1) & ~(size_t)(SCRATCH_ALIGN - 1));
    if (!c)
        return NULL;
    *c = (struct chunk){.below = below, .size = size};
    size_t now = atomic_fetch_add(&held, size) + size, peak = atomic_load(&peak_held);
    while (now > peak && !atomic_compare_exchange_weak(&peak_held, &peak, now))
        ;
    return c;
}

static void chunk_free(struct chunk *c)
{
    atomic_fetch_sub(&held, c->size);
    free(c);
}

/* At thread exit (pthread key destructor): the thread's chunks go back. */
static void stack_free(void *p)
{
    struct stack *s = p;
    while (s->top) {
        struct chunk *c = s->top;
        s->top = c->below;
        chunk_free(c);
    }
    free(s);
}

static void key_create(void) { pthread_key_create(&stack_key, stack_free); }

static struct stack *my_stack(void)
{
    if (mine)
        return mine;
    pthread_once(&key_once, key_create);
    struct stack *s = calloc(1, sizeof *s);
    if (s && pthread_setspecific(stack_key, s) != 0) {
        free(s);
        s = NULL;
    }
    return mine = s;
}

scratch_mark_t scratch_mark(void)
{
    struct stack *s = my_stack();
    if (!s || !s->top)
        return (scratch_mark_t){NULL, 0, s ? s->live : 0};
    return (scratch_mark_t){s->top, s->top->used, s->live};
}

void *scratch_push(size_t bytes)
{
    struct stack *s = my_stack();
    if (!s)
        return NULL;
    bytes = (bytes + SCRATCH_ALIGN - 1) & ~(size_t)(SCRATCH_ALIGN - 1);
    struct chunk *c = s->top;
    if (!c || c->size - c->used < bytes) {
        size_t size = s->high_water > s->live + bytes ? s->high_water : s->live + bytes;
        if (!(c = chunk_new(size > SCRATCH_MIN_CHUNK ? size : SCRATCH_MIN_CHUNK, s->top)))
            return NULL;
        s->top = c;
    }
    void *p = c->data + c->used;
    c->used += bytes;
    s->live += bytes;
    if (s->live > s->high_water)
        s->high_water = s->live;
    return p;
}

/* An empty stack: one chunk of the high-water size, whatever it had. */
static void settle(struct stack *s)
{
    if (s->top && !s->top->below && s->top->size >= s->high_water) {
        s->top->used = 0;
        return;
    }
    while (s->top) {
        struct chunk *c = s->top;
        s->top = c->below;
        chunk_free(c);
    }
    s->top = chunk_new(s->high_water > SCRATCH_MIN_CHUNK ? s->high_water : SCRATCH_MIN_CHUNK, NULL);
}

void scratch_pop(scratch_mark_t mark)
{
    struct stack *s = mine;
    if (!s)
        return;
    s->live = mark.live;
    if (mark.live == 0) {
        settle(s);   /* NULL: the next push retries */
        return;
    }
    while (s->top != mark.chunk) {
        struct chunk *c = s->top;
        s->top = c->below;
        chunk_free(c);
    }
    s->top->used = mark.used;
}

size_t scratch_bytes(void) { return atomic_load(&held); }
size_t scratch_peak_bytes(void) { return atomic_load(&peak_held); }
