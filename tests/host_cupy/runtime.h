// Runs generated CUDA kernels on the CPU, for the tests (tests/host_cupy/kernels.py).
//
// Included ahead of a generated translation unit and compiled with the host C++ compiler.
// One launch runs its blocks one after another; the threads of a block are fibers
// (ucontext) that run until they finish or wait at a barrier, so __syncthreads() and the
// warp shuffles keep their CUDA meaning: a block barrier opens when every live thread of
// the block waits at one; a warp barrier (inside __shfl_down_sync) when every live thread
// of that warp does (threads that have returned count as arrived, as on current GPUs). A
// barrier that can never open (some threads at __syncthreads, others of the same warp at a
// shuffle) is reported as a launch error instead of hanging, and so are launch
// configurations a GPU refuses.
//
// __shared__ variables become function statics: one copy, shared by the fibers of the
// block running now, as shared memory is by the threads of a block.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <utility>
#include <ucontext.h>

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

static dim3 threadIdx, blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static

using std::abs;
using std::ceil;
using std::cos;
using std::exp;
using std::expm1;
using std::fabs;
using std::floor;
using std::fmax;
using std::fmin;
using std::log;
using std::log1p;
using std::pow;
using std::sin;
using std::sqrt;
using std::tanh;

static inline float __int_as_float(int i) {
    float f;
    std::memcpy(&f, &i, sizeof f);
    return f;
}

static inline int __float_as_int(float f) {
    int i;
    std::memcpy(&i, &f, sizeof i);
    return i;
}

// Fibers switch only at barriers, so a read-modify-write is atomic here.
template <typename T>
static inline T atomicAdd(T* address, T value) {
    T old = *address;
    *address = old + value;
    return old;
}

namespace tg_host {

enum State { READY, AT_BLOCK_BARRIER, AT_WARP_BARRIER, DONE };

struct Fiber {
    ucontext_t context;
    State state;
    dim3 index;
};

constexpr int MAX_THREADS = 1024;
constexpr std::size_t STACK_BYTES = 128 * 1024;

static ucontext_t scheduler;
static Fiber fibers[MAX_THREADS];
static char* stacks;
static int block_threads;
static int current;
static void (*kernel_body)(void**);
static void** kernel_args;
static unsigned char lanes[MAX_THREADS][16];  // what each thread offers a shuffle

static void fiber_main() {
    kernel_body(kernel_args);
    fibers[current].state = DONE;
    // returning resumes the scheduler (uc_link)
}

static void wait(State at) {
    Fiber& f = fibers[current];
    f.state = at;
    swapcontext(&f.context, &scheduler);
}

static int linear_id() {
    return (int)(threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z));
}

// Runs one block; returns 0, or 2 when its threads wait at barriers that cannot open.
static int run_block(int n) {
    for (int i = 0; i < n; ++i) {
        Fiber& f = fibers[i];
        getcontext(&f.context);
        f.context.uc_stack.ss_sp = stacks + (std::size_t)i * STACK_BYTES;
        f.context.uc_stack.ss_size = STACK_BYTES;
        f.context.uc_link = &scheduler;
        makecontext(&f.context, fiber_main, 0);
        f.state = READY;
    }
    for (;;) {
        for (int i = 0; i < n; ++i) {
            if (fibers[i].state != READY)
                continue;
            current = i;
            threadIdx = fibers[i].index;
            swapcontext(&scheduler, &fibers[i].context);
        }
        bool released = false, any_live = false, all_at_block = true;
        for (int w = 0; w < n; w += 32) {
            bool live = false, all_at_warp = true;
            for (int i = w; i < std::min(n, w + 32); ++i) {
                if (fibers[i].state == DONE)
                    continue;
                live = true;
                if (fibers[i].state != AT_WARP_BARRIER)
                    all_at_warp = false;
                if (fibers[i].state != AT_BLOCK_BARRIER)
                    all_at_block = false;
            }
            any_live = any_live || live;
            if (live && all_at_warp) {
                for (int i = w; i < std::min(n, w + 32); ++i)
                    if (fibers[i].state == AT_WARP_BARRIER)
                        fibers[i].state = READY;
                released = true;
            }
        }
        if (!any_live)
            return 0;
        if (released)
            continue;
        if (!all_at_block)
            return 2;
        for (int i = 0; i < n; ++i)
            if (fibers[i].state == AT_BLOCK_BARRIER)
                fibers[i].state = READY;
    }
}

// 0: done; 1: a launch configuration a GPU refuses; 2: a barrier that cannot open;
// 3: out of memory for the fiber stacks.
static int launch(void (*body)(void**), const unsigned* dims, void** args) {
    dim3 grid{dims[0], dims[1], dims[2]}, block{dims[3], dims[4], dims[5]};
    unsigned long long n = (unsigned long long)block.x * block.y * block.z;
    if (n == 0 || n > MAX_THREADS || block.x > 1024 || block.y > 1024 || block.z > 64)
        return 1;
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 2147483647u || grid.y > 65535 ||
        grid.z > 65535)
        return 1;
    if (stacks == nullptr) {
        stacks = (char*)std::malloc(MAX_THREADS * STACK_BYTES);
        if (stacks == nullptr)
            return 3;
    }
    kernel_body = body;
    kernel_args = args;
    gridDim = grid;
    blockDim = block;
    for (unsigned z = 0; z < block.z; ++z)
        for (unsigned y = 0; y < block.y; ++y)
            for (unsigned x = 0; x < block.x; ++x)
                fibers[x + block.x * (y + block.y * z)].index = dim3{x, y, z};
    block_threads = (int)n;
    for (unsigned bz = 0; bz < grid.z; ++bz)
        for (unsigned by = 0; by < grid.y; ++by)
            for (unsigned bx = 0; bx < grid.x; ++bx) {
                blockIdx = dim3{bx, by, bz};
                int status = run_block((int)n);
                if (status)
                    return status;
            }
    return 0;
}

// Calls kernel ``k`` with its arguments unpacked from ``args`` (one pointer to each
// argument's value, as cuLaunchKernel takes them).
template <typename... P, std::size_t... I>
static void call_unpacked(void (*k)(P...), void** args, std::index_sequence<I...>) {
    k(*static_cast<std::remove_cv_t<std::remove_reference_t<P>>*>(args[I])...);
}

template <typename... P>
static void call(void (*k)(P...), void** args) {
    call_unpacked(k, args, std::index_sequence_for<P...>{});
}

}  // namespace tg_host

static inline void __syncthreads() {
    tg_host::wait(tg_host::AT_BLOCK_BARRIER);
}

template <typename T>
static inline T __shfl_down_sync(unsigned /*mask: every lane takes part*/, T value,
                                 unsigned delta) {
    static_assert(sizeof(T) <= sizeof tg_host::lanes[0], "shuffle of a large type");
    const int me = tg_host::linear_id();
    const int lane = me % 32;
    std::memcpy(tg_host::lanes[me], &value, sizeof(T));
    tg_host::wait(tg_host::AT_WARP_BARRIER);  // every lane has offered its value
    T result = value;
    const int from = lane + (int)delta;
    if (from < 32 && me + (int)delta < tg_host::block_threads)
        std::memcpy(&result, tg_host::lanes[me + delta], sizeof(T));
    tg_host::wait(tg_host::AT_WARP_BARRIER);  // every lane has read before the next offer
    return result;
}
