/*
 * Module map records (see modules.h). dl_iterate_phdr's dlpi_adds/dlpi_subs counters tell
 * whether the list changed, cheaply.
 */
#include "modules.h"
#include "encoder.h"
#include "state.h"
#include "ptreclaim_trace.h"

#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

volatile int ptr_modules_dirty;

static uint64_t generation;
static unsigned long long seen_adds, seen_subs;

static void build_id(const struct dl_phdr_info *info, const uint8_t **id, size_t *len)
{
    *id = NULL;
    *len = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const uint8_t *name = p + sizeof *nh;
            const uint8_t *desc = name + ((nh->n_namesz + 3) & ~3u);
            const uint8_t *next = desc + ((nh->n_descsz + 3) & ~3u);
            if (next > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                *id = desc;
                *len = nh->n_descsz;
                return;
            }
            p = next;
        }
    }
}

static int write_one(struct dl_phdr_info *info, size_t size, void *arg)
{
    static char exe[PTR_PATH_MAX];
    const char *path = info->dlpi_name;
    if (!path || !*path) {
        /* The main program (dlpi_name ""): its real path. */
        if (!exe[0]) {
            ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
            exe[n > 0 ? n : 0] = 0;
        }
        path = exe;
    }
    const uint8_t *id;
    size_t idlen;
    build_id(info, &id, &idlen);
    uint64_t nseg = 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
        nseg += info->dlpi_phdr[i].p_type == PT_LOAD;
    ptr_rec_begin(PTR_REC_MODULE);
    ptr_put_uv(generation);
    ptr_put_str(path, strlen(path));
    ptr_put_uv(info->dlpi_addr);
    ptr_put_str(id, idlen);
    ptr_put_uv(nseg);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        ptr_put_uv(ph->p_vaddr);
        ptr_put_uv(ph->p_memsz);
        ptr_put_uv(ph->p_flags & (PF_R | PF_W | PF_X));
    }
    ptr_rec_commit();
    seen_adds = info->dlpi_adds;
    seen_subs = info->dlpi_subs;
    return 0;
}

void ptr_modules_write(void)
{
    generation++;
    ptr_modules_dirty = 0;
    /* One generation's MODULE records form a group: a reader sees the whole map or none. */
    ptr_group_begin();
    dl_iterate_phdr(write_one, NULL);
    if (ptr_group_commit() != 0)
        generation--; /* never reached the file: the next map reuses the number */
}

static int read_counters(struct dl_phdr_info *info, size_t size, void *arg)
{
    unsigned long long *c = arg;
    c[0] = info->dlpi_adds;
    c[1] = info->dlpi_subs;
    return 1; /* the counters are the same in every entry: stop at the first */
}

int ptr_modules_check(void)
{
    unsigned long long c[2] = {seen_adds, seen_subs};
    ptr_modules_dirty = 0;
    dl_iterate_phdr(read_counters, c);
    if (c[0] == seen_adds && c[1] == seen_subs)
        return 0;
    ptr_modules_write();
    return 1;
}

void ptr_modules_reset(void) { generation = 0; }
