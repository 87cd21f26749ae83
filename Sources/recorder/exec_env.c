/*
 * The environment handed to an exec'd image (see exec_env.h). No malloc: the settings are copied
 * into static buffers at start-up, the new environment is built in the hook's stack frame.
 */
#include "exec_env.h"
#include "state.h"
#include "ptreclaim_trace.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SAVED 32
#define MAX_SLOTS 65536           /* larger environments are handed on unchanged (stack room) */
#define MAX_TEXT (256u << 10)
#define PRELOAD "LD_PRELOAD="
#define PRELOAD_LEN (sizeof PRELOAD - 1)
#define OWNER PTR_ENV_OWNER_PID "="
#define OWNER_LEN (sizeof OWNER - 1)

extern char **environ;

static int ready;                         /* ptr_exec_env_init done: this process records */
static char lib_path[PTR_PATH_MAX];       /* the recorder, absolute */
static dev_t lib_dev;
static ino_t lib_ino;
static char saved_text[8192];             /* PTRECLAIM_*=... as at start-up, NUL-separated */
static const char *saved[MAX_SAVED];
static size_t saved_key_len[MAX_SAVED];
static int nsaved;

static int is_setting(const char *e) { return strncmp(e, "PTRECLAIM_", 10) == 0; }
static int is_owner(const char *e) { return strncmp(e, OWNER, OWNER_LEN) == 0; }

static size_t key_len(const char *e)
{
    const char *eq = strchr(e, '=');
    return eq ? (size_t)(eq - e) : strlen(e);
}

/* The recorder's own file, as loaded (LD_PRELOAD may name it relative to the start directory). */
static int find_library(void)
{
    Dl_info info;
    if (!dladdr((void *)find_library, &info) || !info.dli_fname || !info.dli_fname[0])
        return -1;
    if (info.dli_fname[0] == '/') {
        snprintf(lib_path, sizeof lib_path, "%s", info.dli_fname);
    } else {
        char cwd[PTR_PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return -1;
        int n = snprintf(lib_path, sizeof lib_path, "%s/%s", cwd, info.dli_fname);
        if (n < 0 || (size_t)n >= sizeof lib_path)
            return -1;
    }
    struct stat st;
    if (stat(lib_path, &st) != 0)
        return -1;
    lib_dev = st.st_dev;
    lib_ino = st.st_ino;
    return 0;
}

/* Environment with PTRECLAIM_OWNER_PID added, for children started without the exec hooks.
 * glibc's setenv copies an array it did not allocate, so a static one is safe to install. */
static char *env_copy[1024];
static char owner_entry[OWNER_LEN + 24];

static void export_owner(void)
{
    snprintf(owner_entry, sizeof owner_entry, "%s%d", OWNER, (int)ptr_state.owner_pid);
    size_t n = 0;
    for (char **e = environ; e && *e; e++, n++) {
        if (is_owner(*e)) {
            *e = owner_entry;
            return;
        }
    }
    if (n + 2 > sizeof env_copy / sizeof env_copy[0])
        return; /* a huge environment: such children are followed as before (documented) */
    for (size_t i = 0; i < n; i++)
        env_copy[i] = environ[i];
    env_copy[n] = owner_entry;
    env_copy[n + 1] = NULL;
    environ = env_copy;
}

void ptr_exec_env_init(void)
{
    if (find_library() != 0)
        return;
    size_t used = 0;
    nsaved = 0;
    for (char **e = environ; e && *e; e++) {
        if (!is_setting(*e) || is_owner(*e) || nsaved == MAX_SAVED)
            continue;
        size_t len = strlen(*e) + 1;
        if (used + len > sizeof saved_text)
            continue;
        memcpy(saved_text + used, *e, len);
        saved[nsaved] = saved_text + used;
        saved_key_len[nsaved] = key_len(*e);
        nsaved++;
        used += len;
    }
    export_owner();
    ready = 1;
}

int ptr_exec_env_unfollowed_child(void)
{
    /* A program started in a child (fork+exec, vfork+exec, posix_spawn, system) is followed
     * only when both forks and execs are: the same rule as a fork child that execs. */
    if (ptr_state.opt.follow_fork && ptr_state.opt.follow_exec)
        return 0;
    const char *v = getenv(PTR_ENV_OWNER_PID);
    if (!v || !*v)
        return 0;
    long owner = strtol(v, NULL, 10);
    return owner > 0 && owner != (long)getpid();
}

/* Is this LD_PRELOAD entry (of length n) the recorder itself? */
static int is_recorder(const char *s, size_t n)
{
    char path[PTR_PATH_MAX];
    if (n == 0 || n >= sizeof path)
        return 0;
    memcpy(path, s, n);
    path[n] = 0;
    if (strcmp(path, lib_path) == 0)
        return 1;
    struct stat st;
    return stat(path, &st) == 0 && st.st_dev == lib_dev && st.st_ino == lib_ino;
}

static int is_separator(char c) { return c == ':' || c == ' '; }

size_t ptr_exec_env_slots(char *const *envp, size_t *text_bytes)
{
    if (!ready || !ptr_state.opt.follow_exec)
        return 0;
    size_t n = 0, text = PRELOAD_LEN + strlen(lib_path) + 2 + OWNER_LEN + 24;
    for (char *const *e = envp; e && *e; e++, n++) {
        if (strncmp(*e, PRELOAD, PRELOAD_LEN) == 0)
            text += strlen(*e) + 1;
        if (n > MAX_SLOTS || text > MAX_TEXT)
            return 0;
    }
    *text_bytes = text;
    return n + (size_t)nsaved + 3; /* LD_PRELOAD, owner, NULL */
}

/* Append the entries of an LD_PRELOAD value other than the recorder, ':'-separated. */
static char *append_others(char *out, const char *value)
{
    const char *p = value;
    while (*p) {
        while (is_separator(*p))
            p++;
        const char *start = p;
        while (*p && !is_separator(*p))
            p++;
        size_t n = (size_t)(p - start);
        if (n && !is_recorder(start, n)) {
            *out++ = ':';
            memcpy(out, start, n);
            out += n;
        }
    }
    return out;
}

char *const *ptr_exec_env_build(char *const *envp, char **slots, char *text)
{
    size_t k = 0;
    /* LD_PRELOAD: the recorder first, then the user's libraries in their order. */
    char *t = text;
    slots[k++] = t;
    memcpy(t, PRELOAD, PRELOAD_LEN);
    t += PRELOAD_LEN;
    size_t ll = strlen(lib_path);
    memcpy(t, lib_path, ll);
    t += ll;
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, PRELOAD, PRELOAD_LEN) == 0)
            t = append_others(t, *e + PRELOAD_LEN);
    *t++ = 0;
    /* Which process owned the trace when this environment was handed on. */
    slots[k++] = t;
    t += sprintf(t, "%s%d", OWNER, (int)ptr_state.owner_pid) + 1;

    int have[MAX_SAVED] = {0};
    for (char *const *e = envp; e && *e; e++) {
        if (strncmp(*e, PRELOAD, PRELOAD_LEN) == 0 || is_owner(*e))
            continue;
        if (is_setting(*e)) /* the program's own PTRECLAIM_* values win over ours */
            for (int i = 0; i < nsaved; i++)
                if (strncmp(*e, saved[i], saved_key_len[i] + 1) == 0)
                    have[i] = 1;
        slots[k++] = *e;
    }
    for (int i = 0; i < nsaved; i++)
        if (!have[i])
            slots[k++] = (char *)saved[i];
    slots[k] = NULL;
    return slots;
}
