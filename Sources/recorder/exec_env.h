/*
 * The environment an exec'd image gets (see docs/recorder.md, "fork, vfork, posix_spawn, exec").
 *
 * A wrapper (`env LD_PRELOAD=ALLOC prog`), a script that exports LD_PRELOAD or a program that
 * passes its own envp to execve would drop the recorder from the new image. The exec hooks
 * therefore hand on a copy of the environment with the recorder first in LD_PRELOAD (the rest
 * of the user's LD_PRELOAD after it), the recorder's PTRECLAIM_* settings added where missing,
 * and PTRECLAIM_OWNER_PID naming the process that owned the trace: a new image whose pid differs
 * from it is a spawned child (vfork, posix_spawn, system, or a fork child), which records only
 * when following forks. Nothing is done when following exec is off.
 */
#ifndef PTR_EXEC_ENV_H
#define PTR_EXEC_ENV_H

#include <stddef.h>

/* At start-up of a recording process (constructor): remember the recorder's own path and the
 * PTRECLAIM_* settings, and put PTRECLAIM_OWNER_PID into the process's environment (children
 * started without the exec hooks, e.g. by posix_spawn or system, inherit it from there). */
void ptr_exec_env_init(void);

/* Is this image a program started in a child of a recorded process (its pid is not
 * PTRECLAIM_OWNER_PID) while forks or execs are not followed? 1 = record nothing. */
int ptr_exec_env_unfollowed_child(void);

/* Pointer slots and text bytes the new environment needs for `envp` (0 slots: hand `envp` on
 * unchanged). The caller provides both on its own stack: the hook may run in a vfork child,
 * where anything mapped or allocated would leak into the parent. */
size_t ptr_exec_env_slots(char *const *envp, size_t *text_bytes);

/* Build it into `slots` (ptr_exec_env_slots entries) and `text`; returns `slots`. */
char *const *ptr_exec_env_build(char *const *envp, char **slots, char *text);

/* The environment to hand on, built on the caller's stack: `use` is set to `envp` itself or to
 * the new one. A macro because the arrays must live in the hook's own frame. */
#define PTR_EXEC_ENVIRONMENT(envp, use)                                                    \
    size_t text_bytes_ = 0;                                                                \
    size_t slots_n_ = ptr_exec_env_slots((envp), &text_bytes_);                            \
    char *slots_[slots_n_ ? slots_n_ : 1];                                                 \
    char text_[slots_n_ ? text_bytes_ : 1];                                                \
    char *const *use = slots_n_ ? ptr_exec_env_build((envp), slots_, text_) : (envp)

#endif
