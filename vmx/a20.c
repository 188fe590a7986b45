/* The guest's A20 line, emulated (see a20.h, a20_gate.h).
 *
 * The machine's A20 stays on: a processor in VMX operation blocks A20M# (SDM Vol.3C 23.8
 * "Restrictions on VMX Operation"), and in Bochs 2.7, which does not, an A20-off write carried
 * out on the machine masks address bit 20 for vmxlab and its EPT walks too (the next exit is
 * an EPT misconfiguration). What the guest asked for is done in EPT instead, for the first
 * 2 MiB: with its A20 off, guest-physical 1 MiB..2 MiB translates to the host pages of
 * 0..1 MiB, so the HMA (FFFF:0010 and up) wraps to 0000:0000 as on a PC. Those 256 page-table
 * entries are split at setup (a20_setup, so no allocation at run time), saved when A20 goes
 * off and put back when it comes on.
 *
 * Not emulated: above 2 MiB, guest-physical addresses with bit 20 set do not alias those with
 * it clear (3 MiB does not read 2 MiB, and so on). Real-mode code cannot reach them (FFFF:FFFF
 * is 0x10FFEF); a guest in protected mode with A20 off can. docs/reset.md says so, and the
 * first A20-off line at info does too.
 *
 * SMP: the state is the machine's, one for all vCPUs; the gate's lock serializes the changes.
 * A translation another CPU cached from the old entries survives there until that CPU
 * invalidates it (SDM 28.3.3 "Invalidating Cached Translation Information": INVEPT acts on
 * the logical processor that executes it, 28.3.3.1), so every other running vCPU gets a TLB-flush
 * request, taken before its next VM entry. */
#include "kernel/log.h"
#include "kernel/panic.h"
#include "vmx/a20.h"
#include "vmx/ept.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx_internal.h"

void a20_setup(void)
{
    a20_gate_reset(&vmx.a20.gate);
    enum ept_status s = ept_split_4k(&vmx.ept, 0, A20_WRAP_END);
    if (s != EPT_OK)
        panic("EPT: splitting the first 2 MiB into 4 KiB pages for the A20 wrap failed (status %d)", s);
    vmx.a20.wrap_ready = true;
}

/* SDM 28.3.3.4 "Guidelines for Use of the INVEPT Instruction": after changing an entry's
 * physical address (bits 51:12), INVEPT; here, and on each other CPU before its next entry */
static void flush_every_vcpu(struct vcpu *v)
{
    vmx_flush_tlb(v);
    /* a vCPU waiting for SIPI has run no guest code since its INIT flushed its TLBs
     * (vcpu_init_reset): it caches nothing from the old entries and is not woken */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < vmx.nvcpus; i++) {
        struct vcpu *o = &vmx.vcpus[i];
        if (o != v && !__atomic_load_n(&o->stopped, __ATOMIC_ACQUIRE) &&
            !__atomic_load_n(&o->wait_for_sipi, __ATOMIC_ACQUIRE))
            vcpu_request(v, o, VCPU_REQ_TLB_FLUSH);
    }
}

static void set_wrap(struct vcpu *v, bool wrap)
{
    if (!vmx.a20.wrap_ready || vmx.a20.wrapped == wrap)
        return;   /* already so, or no EPT (host tests) */
    enum ept_status s = wrap ? ept_alias_4k(&vmx.ept, A20_WRAP_START, 0, A20_WRAP_END - A20_WRAP_START, vmx.a20.saved)
                             : ept_restore_4k(&vmx.ept, A20_WRAP_START, A20_WRAP_END - A20_WRAP_START, vmx.a20.saved);
    if (s != EPT_OK)
        panic("EPT: the A20 wrap of 1 MiB..2 MiB failed (status %d)", s);
    vmx.a20.wrapped = wrap;
    flush_every_vcpu(v);
}

void a20_changed(struct vcpu *v, const char *insn, uint32_t value, const char *what)
{
    bool off = vmx.a20.gate.off;
    set_wrap(v, off);
    vmx.a20.changes++;
    /* A20 toggles can be frequent (DOS, some BIOS calls toggle it around each block move):
     * one line at debug each, and the first A20 off once at info */
    log_debug("io", "A20 %s: %s <- 0x%x (%s)", off ? "off" : "on", insn, value, what);
    if (off && !vmx.a20.told) {
        vmx.a20.told = true;
        log_info("io", "the guest turned A20 off (%s <- 0x%x, %s): the machine's A20 stays on, guest-physical "
                       "1 MiB..2 MiB wraps to 0..1 MiB in EPT; above 2 MiB address bit 20 is not masked "
                       "(docs/reset.md)", insn, value, what);
    }
}

void a20_machine_reset(struct vcpu *v)
{
    spin_lock(&vmx.a20.lock);
    set_wrap(v, false);
    a20_gate_reset(&vmx.a20.gate);
    spin_unlock(&vmx.a20.lock);
}
