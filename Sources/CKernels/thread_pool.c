// The library's one pool of worker threads (see `ck_parallel_for` in ckernels.h).
//
// Workers spin briefly after each job before sleeping on a condition variable: a forward
// pass on a small photo runs some fifty short parallel loops back to back, and waking a
// sleeping thread for each cost about a tenth of the pass.
//
// A job is one 64-bit word — generation (32 bits) | item count (16) | next item (16) — so a
// claim is one compare-and-swap that also proves the job is still the current one: a worker
// late for a job can never take an item of the next. The body and context are read only
// after a successful claim; the caller publishes them before the word and changes them only
// once every claimed item has finished.

#define _GNU_SOURCE  // pthread_setname_np, sched_getaffinity
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ckernels.h"

enum { SPIN_ROUNDS = 4000, MAX_ITEMS = 0xffff };  // ~0.1 ms of pause instructions before sleeping

static struct {
    pthread_once_t once;
    atomic_int busy;                  // 1 while a job runs: other callers run inline
    _Atomic uint64_t job;
    uint32_t generation;              // the caller's, under `busy`
    ck_parallel_body body;
    void *context;
    ptrdiff_t offset;                 // item i runs body(context, offset + i)
    atomic_long finished;             // items of the current job done
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int sleepers;                     // guarded by lock
} pool = {.once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static inline void relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

static inline uint32_t job_generation(uint64_t job) { return (uint32_t)(job >> 32); }

// Claims and runs items of job `generation` until none are left or the job has changed.
static void run_claimed(uint32_t generation) {
    uint64_t job = atomic_load_explicit(&pool.job, memory_order_acquire);
    for (;;) {
        const uint64_t count = (job >> 16) & MAX_ITEMS, next = job & MAX_ITEMS;
        if (job_generation(job) != generation || next >= count) return;
        if (atomic_compare_exchange_weak_explicit(&pool.job, &job, job + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            pool.body(pool.context, pool.offset + (ptrdiff_t)next);
            atomic_fetch_add_explicit(&pool.finished, 1, memory_order_release);
            job = atomic_load_explicit(&pool.job, memory_order_acquire);
        }
    }
}

static void *worker_main(void *unused) {
    (void)unused;
    uint32_t seen = 0;
    for (;;) {
        uint32_t generation;
        int spins = 0;
        while ((generation = job_generation(atomic_load_explicit(&pool.job, memory_order_acquire))) == seen) {
            if (++spins < SPIN_ROUNDS) { relax(); continue; }
            pthread_mutex_lock(&pool.lock);
            pool.sleepers++;
            while (job_generation(atomic_load_explicit(&pool.job, memory_order_acquire)) == seen) {
                pthread_cond_wait(&pool.wake, &pool.lock);
            }
            pool.sleepers--;
            pthread_mutex_unlock(&pool.lock);
            spins = 0;
        }
        seen = generation;
        run_claimed(generation);
    }
    return NULL;
}

static int requested_workers;

static void start_workers(void) {
    for (int i = 0; i < requested_workers; i++) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        const int failed = pthread_create(&thread, &attributes, worker_main, NULL);
        pthread_attr_destroy(&attributes);
        if (failed) break;  // fewer workers: the caller runs whatever they leave
        // Named for top and /proc by its creator, at once: a new thread inherits the creator's
        // name ("dvit-photo"), and on a busy machine it may not run for a while to rename itself.
        pthread_setname_np(thread, "dvit-pool");
    }
}

// One job of `count` ≤ MAX_ITEMS items, run by the caller (holding `busy`) and the workers.
static void run_job(ptrdiff_t offset, ptrdiff_t count, ck_parallel_body body, void *context) {
    pool.body = body;
    pool.context = context;
    pool.offset = offset;
    atomic_store_explicit(&pool.finished, 0, memory_order_relaxed);
    const uint32_t generation = ++pool.generation;
    atomic_store_explicit(&pool.job, ((uint64_t)generation << 32) | ((uint64_t)count << 16), memory_order_release);
    pthread_mutex_lock(&pool.lock);
    if (pool.sleepers > 0) pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);

    run_claimed(generation);
    while (atomic_load_explicit(&pool.finished, memory_order_acquire) < count) relax();
}

void ck_parallel_for(ptrdiff_t count, ptrdiff_t threads, ck_parallel_body body, void *context) {
    if (count <= 0) return;
    if (count == 1 || threads <= 1 || atomic_exchange_explicit(&pool.busy, 1, memory_order_acquire)) {
        for (ptrdiff_t i = 0; i < count; i++) body(context, i);
        return;
    }
    requested_workers = (int)threads - 1;
    pthread_once(&pool.once, start_workers);
    for (ptrdiff_t offset = 0; offset < count; offset += MAX_ITEMS) {
        const ptrdiff_t items = count - offset < MAX_ITEMS ? count - offset : MAX_ITEMS;
        run_job(offset, items, body, context);
    }
    atomic_store_explicit(&pool.busy, 0, memory_order_release);
}

void ck_name_current_thread(const char *name) {
    pthread_setname_np(pthread_self(), name);
}

int ck_usable_cores(void) {
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}
