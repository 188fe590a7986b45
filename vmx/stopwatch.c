/* guest.stop=N: stop the guest after N million TSC ticks of guest time, with the
 * VMX-preemption timer (SDM Vol.3C 25.5.1 "VMX-Preemption Timer"). It counts down only in VMX
 * non-root operation, one step every 2^X TSC ticks (X = IA32_VMX_MISC[4:0], SDM A.6), and
 * exits with reason 52 at zero. With the exit control "save VMX-preemption timer value"
 * (SDM 24.7.1, bit 22) the count left is stored on every exit and carries on at the next
 * entry, so the limit is the guest's total time; without it the count restarts at each entry
 * (the limit is then per stretch between exits: vmxlab says so in the log).
 *
 * For a guest that never ends by itself and writes only to the screen (memtest86+): with
 * screen.dump=1 its VGA text screen is on the serial log when vmxlab stops (kernel/screen.c).
 * In Bochs with `clock: sync=none` the TSC counts emulated instructions, so the stop comes at
 * the same guest instruction every run. */
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "vmx/exit_handlers.h"
#include "vmx/vmx.h"
#include "vmx/vmx_internal.h"

#define MILLION 1000000ull

void stopwatch_setup(struct vcpu *v)
{
    uint32_t m = vmx.opts.guest_stop_mtsc;
    if (!m)
        return;
    if (!vmx_ctl_can_be_1(&vmx.caps.ctl[VMX_CTL_PIN], 6)) {
        log_error("vmx", "guest.stop=%u needs the VMX-preemption timer, which this CPU does not have", m);
        vmxlab_stop(STATUS_NO_VMX);
    }
    /* SDM 24.6.1 (pin-based bit 6) and 24.7.1 (exit bit 22), allowed-1 per A.3.1 / A.4 */
    v->ctl[VMX_CTL_PIN] |= PIN_ACTIVATE_PREEMPTION_TIMER;
    vmcs_write(VMCS_CTRL_PIN_BASED, v->ctl[VMX_CTL_PIN]);
    bool save = vmx_ctl_can_be_1(&vmx.caps.ctl[VMX_CTL_EXIT], 22);
    if (save) {
        v->ctl[VMX_CTL_EXIT] |= EXIT_SAVE_PREEMPTION_TIMER;
        vmcs_write(VMCS_CTRL_EXIT, v->ctl[VMX_CTL_EXIT]);
    }
    unsigned rate = vmx.caps.misc.preemption_timer_rate;
    uint64_t count = ((uint64_t)m * MILLION) >> rate;
    if (count > 0xFFFFFFFFull)
        count = 0xFFFFFFFFull;
    vmcs_write(VMCS_PREEMPTION_TIMER_VALUE, count);
    log_info("vmx", "guest.stop=%u: the VMX-preemption timer stops the guest after %llu M TSC ticks of guest time "
             "(count %llu, 2^%u ticks a step, %s)", m, (unsigned long long)((count << rate) / MILLION),
             (unsigned long long)count, rate,
             save ? "saved on exit: the guest's total time" : "no save control: restarts at each entry");
}

/* exit reason 52 (SDM 25.5.1): the count reached zero */
enum exit_action exit_preemption_timer(struct vcpu *v)
{
    log_info("exit", "VMX-preemption timer expired (reason 52) at %04x:%llx: guest.stop=%u M TSC ticks of guest "
             "time used up, stopping the guest", (unsigned)vmcs_read(VMCS_GUEST_CS_SELECTOR),
             (unsigned long long)v->rip, vmx.opts.guest_stop_mtsc);
    v->stop_status = STATUS_GUEST_FAILED;
    return EXIT_STOP;
}
