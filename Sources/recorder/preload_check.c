/*
 * The preload-order check (see preload_check.h).
 */
#include "preload_check.h"
#include "real_functions.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* The recorded entry points the program binds to by name. */
static const char *const hooked[] = {
#define PTR_NAME(name, ret, params) #name,
    PTR_RECORDED_FUNCTIONS(PTR_NAME)
#undef PTR_NAME
};

static char shadowed[1024];

void ptr_preload_check(void)
{
    Dl_info self, other;
    shadowed[0] = 0;
    if (!dladdr((void *)ptr_preload_check, &self))
        return;
    size_t used = 0;
    for (size_t i = 0; i < sizeof hooked / sizeof hooked[0]; i++) {
        void *p = dlsym(RTLD_DEFAULT, hooked[i]);
        if (!p || !dladdr(p, &other) || other.dli_fbase == self.dli_fbase)
            continue;
        const char *lib = other.dli_fname && other.dli_fname[0] ? other.dli_fname : "the program";
        int n = snprintf(shadowed + used, sizeof shadowed - used, "%s%s=%s", used ? ";" : "",
                         hooked[i], lib);
        if (n < 0 || (size_t)n >= sizeof shadowed - used) {
            shadowed[used] = 0; /* keep whole entries only */
            break;
        }
        used += (size_t)n;
    }
}

const char *ptr_preload_shadowed(void) { return shadowed; }
