/*
 * run_stop.c — `hvsim run --stop-at N`: the machine's state where the run
 * stopped (partitions, VPs, page ownership), read from the hypervisor's
 * state as a debugger would.
 */
#include <stdio.h>

#include "hv/core/objects.h"
#include "run_int.h"

static const char *const run_part_states[] = {"free", "created", "active", "finalized", "stopped"};
static const char *const run_vp_states[] = {"runnable", "halted", "suspended", "stopped"};
static const char *const run_pfn_types[] = {"hypervisor", "ram", "pool-free", "pool-used"};

static const char *run_pid_name(const struct run *r, uint64_t pid) {
  return verdict_vm_name(&r->verdict, pid == HV_TRACE_ROOT_PARTITION ? 0 : r->verdict.pid_vm[pid % VERDICT_MAX_PIDS]);
}

void run_state_dump(const struct run *r) {
  const struct hv *hv = r->sim.hv;
  printf("\nstopped after event %llu\npartitions:\n", (unsigned long long)r->verdict.events);
  for (uint32_t i = 0; i < HV_MAX_PARTITIONS; i++) {
    const struct hv_partition *p = &hv->partitions[i];
    if (p->state == PART_FREE && i != 0)
      continue;
    printf("  id %-4llu %-10s %-9s ram %8llu pages  pool free %6llu used %6llu  vps %u\n", (unsigned long long)p->id,
           run_pid_name(r, p->id), run_part_states[p->state], (unsigned long long)p->ram_pages,
           (unsigned long long)p->pool_free, (unsigned long long)p->pool_used, p->nvps);
  }
  printf("vps:\n");
  for (uint32_t i = 0; i < HV_MAX_VPS; i++) {
    const struct hv_vp *vp = &hv->vps[i];
    if (!vp->in_use)
      continue;
    printf("  partition %-4llu vp %-3u %-9s rip 0x%llx on lp %d\n", (unsigned long long)hv->partitions[vp->partition].id,
           vp->index, run_vp_states[vp->run_state], (unsigned long long)vp->arch.rip,
           vp->on_lp == HV_NO_VP ? -1 : vp->on_lp);
  }
  printf("memory ownership (pages by owner and type):\n");
  for (uint32_t i = 0; i < HV_MAX_PARTITIONS; i++) {
    uint64_t n[4] = {0, 0, 0, 0};
    for (uint64_t k = 0; k < hv->boot.mem_pages; k++)
      if (pfn_owner_of(hv->pfndb[k]) == i)
        n[pfn_type_of(hv->pfndb[k]) & 3]++;
    if (!(n[0] | n[1] | n[2] | n[3]))
      continue;
    printf("  partition %-4llu", (unsigned long long)hv->partitions[i].id);
    for (int t = 0; t < 4; t++)
      if (n[t])
        printf(" %s %llu", run_pfn_types[t], (unsigned long long)n[t]);
    printf("\n");
  }
}
