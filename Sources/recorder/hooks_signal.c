/*
 * sigaltstack is interposed only to learn where the thread's alternate signal stack is:
 * stacks.c does not unwind on a small one (see ptr_stacks_note_altstack). Nothing recorded.
 */
#include "call_record.h"
#include "stacks.h"

#include <dlfcn.h>

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

PTR_EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
    static int (*real)(const stack_t *, stack_t *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "sigaltstack");
    int r = real ? real(ss, old) : (int)syscall(SYS_sigaltstack, ss, old);
    if (r == 0 && ss) {
        int saved = errno;
        ptr_stacks_note_altstack(ss);
        errno = saved;
    }
    return r;
}
