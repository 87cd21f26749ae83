/*
 * siglongjmp out of a signal handler that interrupted a hook: the hook's frame is gone for
 * good, with the thread's guard set, maybe the recorder lock held and a record half-built.
 * longjmp, _longjmp, siglongjmp and __longjmp_chk are interposed: when the calling thread is
 * inside a hook and the jump lands above the hook's frame, the recorder first settles what the
 * hook was doing (ptr_hook_abandon: a commit cut in its last instructions is finished or
 * erased, the half-built record forgotten, the lock released, the call counted LOST if its
 * real call had run) and then jumps. A jump that stays inside the handler (its own setjmp)
 * changes nothing.
 *
 * The target's stack pointer is read from the jmp_buf, where glibc stores it mangled with the
 * thread's pointer guard (x86_64: xor with %fs:0x30, rotate left 17). The decoding is checked
 * once at start-up against a real setjmp; if it does not match, jumps are not interpreted and
 * only the stale-guard check of call_record.c recovers (at the thread's next hooked call).
 */
#include "call_record.h"
#include "stacks.h"

#include <dlfcn.h>
#include <setjmp.h>

typedef void (*jump_fn)(struct __jmp_buf_tag *, int);
static jump_fn real_longjmp, real__longjmp, real_siglongjmp, real_longjmp_chk;
static int sp_decoding_ok;

#if defined(__x86_64__)
#define JB_RSP 6
static uintptr_t target_sp(const struct __jmp_buf_tag *env)
{
    uintptr_t v = (uintptr_t)env->__jmpbuf[JB_RSP], guard;
    __asm__("mov %%fs:0x30, %0" : "=r"(guard));
    v = (v >> 17) | (v << (64 - 17));
    return v ^ guard;
}
#else
static uintptr_t target_sp(const struct __jmp_buf_tag *env) { (void)env; return 0; }
#endif

static __attribute__((noinline)) int check_decoding(void)
{
    jmp_buf env;
    if (setjmp(env) != 0)
        return 0;
    uintptr_t sp = target_sp(env), here = (uintptr_t)__builtin_frame_address(0);
    return sp && sp <= here + 4096 && sp + 4096 >= here;
}

void ptr_jumps_init(void)
{
    *(void **)&real_longjmp = dlsym(RTLD_NEXT, "longjmp");
    *(void **)&real__longjmp = dlsym(RTLD_NEXT, "_longjmp");
    *(void **)&real_siglongjmp = dlsym(RTLD_NEXT, "siglongjmp");
    *(void **)&real_longjmp_chk = dlsym(RTLD_NEXT, "__longjmp_chk");
    sp_decoding_ok = check_decoding();
}

/* Does a jump to sp leave the thread's hook (see call_record.c's guard_is_stale)? */
static int leaves_hook(uintptr_t sp)
{
    uintptr_t hook = ptr_hook_frame;
    if (!hook)
        return 0;
    int sp_alt = ptr_stack_on_altstack(sp), hook_alt = ptr_stack_on_altstack(hook);
    if (hook_alt && !sp_alt)
        return 1;
    return sp_alt == hook_alt && sp > hook;
}

static void before_jump(struct __jmp_buf_tag *env)
{
    if (__builtin_expect(ptr_guard != PTR_GUARD_HOOK, 1) || !sp_decoding_ok)
        return;
    int saved = errno;
    if (leaves_hook(target_sp(env)))
        ptr_hook_abandon();
    errno = saved;
}

static jump_fn resolve(jump_fn *slot, const char *name)
{
    if (!*slot)
        *(void **)slot = dlsym(RTLD_NEXT, name);
    return *slot;
}

/* The four entry points: settle the hook if the jump leaves it, then the real jump. */
#define JUMP_HOOK(name, slot)                                                                  \
    PTR_EXPORT void name(struct __jmp_buf_tag env[1], int val)                                 \
    {                                                                                          \
        before_jump(env);                                                                      \
        resolve(&slot, #name)(env, val);                                                       \
        __builtin_unreachable();                                                               \
    }

JUMP_HOOK(longjmp, real_longjmp)
JUMP_HOOK(_longjmp, real__longjmp)
JUMP_HOOK(siglongjmp, real_siglongjmp)
JUMP_HOOK(__longjmp_chk, real_longjmp_chk)
