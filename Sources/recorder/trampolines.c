/*
 * dlopen, dlmopen, dlclose and vfork are interposed by tail jumps, not by C wrappers:
 *  - dlopen/dlmopen search the CALLER's DT_RPATH/DT_RUNPATH and namespace (glibc looks at the
 *    return address); a C wrapper would make the recorder the caller. The trampoline only
 *    marks the module list dirty (modules.c checks at the next record or snapshot tick) and
 *    jumps on with the caller's return address untouched.
 *  - vfork returns twice on one stack; a C wrapper's frame would be clobbered by the child.
 *    The trampoline marks the calling thread (TLS) so its hooks compare getpid() with the
 *    trace owner: the vfork child shares the parent's memory and TLS and must never write
 *    into the parent's trace. The first hook that finds itself in the parent again clears
 *    the mark.
 * x86_64 only; elsewhere these functions are simply not interposed.
 */
#include "modules.h"
#include "real_functions.h"
#include "state.h"

__thread int ptr_tls_vforked __attribute__((tls_model("initial-exec")));

#if defined(__x86_64__)

void *ptr_tramp_dlopen, *ptr_tramp_dlmopen, *ptr_tramp_dlclose, *ptr_tramp_vfork;

/* Slow path of a trampoline whose target is not known yet (called before the constructor). */
void *ptr_tramp_lookup(int which)
{
    ptr_real_resolve();
    ptr_tramp_dlopen = (void *)ptr_real.dlopen;
    ptr_tramp_dlmopen = (void *)ptr_real.dlmopen;
    ptr_tramp_dlclose = (void *)ptr_real.dlclose;
    ptr_tramp_vfork = (void *)ptr_real.vfork;
    switch (which) {
    case 0: return ptr_tramp_dlopen;
    case 1: return ptr_tramp_dlmopen;
    case 2: return ptr_tramp_dlclose;
    default: return ptr_tramp_vfork;
    }
}

/* Entry: mark, load the target, jump (or look it up first, keeping the argument registers;
 * three pushes realign the stack to 16 bytes for the call). */
#define TRAMPOLINE(name, idx, mark)                                                       \
    ".globl " #name "\n"                                                                  \
    ".type " #name ", @function\n" #name ":\n"                                            \
    "    endbr64\n" mark                                                                   \
    "    movq ptr_tramp_" #name "(%rip), %rax\n"                                          \
    "    testq %rax, %rax\n"                                                              \
    "    jz 1f\n"                                                                         \
    "    jmp *%rax\n"                                                                     \
    "1:  pushq %rdi\n"                                                                    \
    "    pushq %rsi\n"                                                                    \
    "    pushq %rdx\n"                                                                    \
    "    movl $" #idx ", %edi\n"                                                          \
    "    call ptr_tramp_lookup\n"                                                         \
    "    popq %rdx\n"                                                                     \
    "    popq %rsi\n"                                                                     \
    "    popq %rdi\n"                                                                     \
    "    jmp *%rax\n"                                                                     \
    ".size " #name ", .-" #name "\n"

#define MARK_MODULES "    movl $1, ptr_modules_dirty(%rip)\n"
#define MARK_VFORK                                                                         \
    "    movq ptr_tls_vforked@gottpoff(%rip), %rax\n"                                     \
    "    movl $1, %fs:(%rax)\n"

__asm__(".text\n"
        TRAMPOLINE(dlopen, 0, MARK_MODULES)
        TRAMPOLINE(dlmopen, 1, MARK_MODULES)
        TRAMPOLINE(dlclose, 2, MARK_MODULES)
        TRAMPOLINE(vfork, 3, MARK_VFORK));

#endif
