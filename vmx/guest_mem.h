/* Guest memory by linear address: the guest's paging state from the VMCS, the page-table walk
 * of vmx/guest_walk.h over guest-physical memory (an identity map below 4 GiB, vmxlab's own
 * memory refused), and the fault the CPU would raise when the walk fails. For the exit
 * handlers of vmx and of the modules above it (apic/access.c). */
#ifndef VMX_GUEST_MEM_H
#define VMX_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmx/guest_walk.h"
#include "vmx/insn_decode.h"
#include "vmx/vcpu.h"

/* The guest's CR0, CR3, CR4, EFER, PDPTEs, CPL and RFLAGS.AC, from the VMCS. */
void guest_paging_state(struct gw_cpu *c);

/* The decoder's mode for the guest's code: 64-bit (IA-32e mode and CS.L), else CS.D. */
enum insn_mode guest_code_mode(void);

/* The base of segment register seg (enum insn_seg order), from the VMCS. */
uint64_t guest_segment_base(unsigned seg);

/* Where a failed access went wrong: the walk's status and result, and the linear address. */
struct guest_fault {
    enum gw_status status;
    struct gw_result walk;
    uint64_t linear;
};

/* Translate one linear address (GW_* access flags). */
bool guest_translate(uint64_t linear, unsigned access, uint64_t *pa, struct guest_fault *f);

/* Copy len bytes at a linear address into buf, page by page (the range may cross pages that
 * are not contiguous in guest-physical memory). False and *f on the first page that fails. */
bool guest_read_linear(uint64_t linear, void *buf, size_t len, unsigned access, struct guest_fault *f);

/* Fetch the instruction at CS:RIP (CS base 0 in 64-bit mode) through the guest's paging:
 * INSN_MAX_LENGTH bytes, or fewer when the next page does not translate (an instruction that
 * ends before it still decodes; if the decoder runs out, *f says why). -1 and *f when the first
 * byte cannot be fetched. */
int guest_fetch_instruction(struct vcpu *v, enum insn_mode mode, uint8_t *bytes, struct guest_fault *f);

/* Raise in the guest what its CPU would raise for f: #PF with CR2 = the linear address and
 * the walk's error code (SDM 4.7), or #GP(0) for a non-canonical address (SDM 3.3.7.1). False
 * (and nothing injected) for GW_NO_MEMORY, where no CPU rule applies. The text names it. */
bool guest_raise_fault(struct vcpu *v, const struct guest_fault *f, char *text, size_t len);

#endif
