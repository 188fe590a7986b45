/* I/O instructions (exit reason 30) and the machine events behind a few ports.
 *
 * vmxlab's contract leaves I/O ports to the guest: with "use I/O bitmaps" (SDM Vol.3 24.6.4,
 * 25.1.3) only the ports below exit, and only because a write to them is not a device access
 * but a machine event that must not reach the real machine while it is in VMX operation:
 *   - a reset: keyboard controller 0x64 <- FEh, reset control register 0xCF9 (RST_CPU), fast
 *     reset through system control port A 0x92 (bit 0), the FADT's RESET_REG (an I/O port),
 *     the 8042's output port written with its reset bit clear (0x64 <- D1h, then 0x60);
 *   - ACPI soft-off: SLP_EN with \_S5's SLP_TYP in PM1a_CNT/PM1b_CNT (ACPI 6.5 7.4.2, 4.8.3.2.1);
 *   - A20 off, through 0x92 bit 1 or the 8042 (output port bit 1, commands DDh/DFh): the guest's
 *     A20 is kept by vmxlab (vmx/a20_gate.h, vmx/a20.c) and the machine's stays on. Port 0x60
 *     exits only while an 8042 command 0xD1/0xD0 waits for its data byte.
 * A reset is on_reset's (halt: stop with status 0; restart: the guest starts again at its
 * entry point, see guest_restart), a soft-off stops vmxlab with status 0. Every other access
 * to these ports, IN or OUT, is carried out for the guest, unchanged but for the A20 bits;
 * string I/O (INS/OUTS) to them is refused (the guest is stopped, the log says why). */
#include "arch/x86_64/cpu.h"
#include "kernel/acpi.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "vmx/exit_handlers.h"
#include "vmx/a20.h"
#include "vmx/io_decode.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_internal.h"

static uint32_t port_in(uint16_t port, unsigned size)
{
    if (size == 1)
        return inb(port);
    if (size == 2)
        return inw(port);
    return inl(port);
}

static void port_out(uint16_t port, unsigned size, uint32_t value)
{
    if (size == 1)
        outb(port, (uint8_t)value);
    else if (size == 2)
        outw(port, (uint16_t)value);
    else
        outl(port, value);
}

/* SDM 24.6.4: bitmap A covers ports 0000-7FFF, B 8000-FFFF, one bit per port. */
static void io_bitmap_intercept(uint16_t port)
{
    uint8_t *bm = phys_to_virt(vmx.io_bitmap_pa[port >> 15]);
    unsigned bit = port & 0x7FFF;
    bm[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/* Each vCPU's VMCS points at its own copy of bitmap A and the machine's bitmap B (SDM 24.6.4
 * "I/O-Bitmap Addresses"): port 0x60's bit changes at run time, and a bitmap may be changed
 * only while no logical processor runs a guest with it (SDM 24.11.4 "Software Access to
 * Related Structures"), which holds for the vCPU's own, from its own exit handler. */
void io_vcpu_setup(struct vcpu *v)
{
    v->io_bitmap_a_pa = vmx_alloc_page();
    memcpy(phys_to_virt(v->io_bitmap_a_pa), phys_to_virt(vmx.io_bitmap_pa[0]), PAGE_SIZE);
    vmcs_write(VMCS_IO_BITMAP_A, v->io_bitmap_a_pa);
    vmcs_write(VMCS_IO_BITMAP_B, vmx.io_bitmap_pa[1]);
}

/* Port 0x60 exits while an 8042 command 0xD1 or 0xD0 waits for its data byte (the gate says),
 * on the vCPU that wrote the command: the guest writes the command and its byte from one
 * routine. A vCPU whose bit stays set after another vCPU's access ended the wait clears it at
 * its next access to 0x60, which is then carried out unchanged. */
static void watch_kbd_data(struct vcpu *v, bool watch)
{
    if (!v->io_bitmap_a_pa)
        return;   /* host tests that give the vCPU no bitmap */
    uint8_t *bit = (uint8_t *)phys_to_virt(v->io_bitmap_a_pa) + PORT_KBD_DATA / 8;
    uint8_t mask = 1u << (PORT_KBD_DATA % 8);
    *bit = watch ? *bit | mask : *bit & (uint8_t)~mask;
}

void io_setup(const struct vmx_guest_image *guest)
{
    const struct acpi_s5 *acpi = acpi_found();
    uint16_t ports[8];
    char list[8 * 8] = "";
    size_t n, len = 0;

    vmx.io_watch = (struct io_watch){.pm1a_cnt = acpi->pm1a_cnt, .pm1b_cnt = acpi->pm1b_cnt,
                                     .slp_typa = acpi->slp_typa, .slp_typb = acpi->slp_typb,
                                     .reset_port = acpi->reset_port, .reset_value = acpi->reset_value};
    vmx.io_bitmap_pa[0] = vmx_alloc_page();
    vmx.io_bitmap_pa[1] = vmx_alloc_page();
    n = io_watch_ports(&vmx.io_watch, ports);
    for (size_t i = 0; i < n; i++) {
        io_bitmap_intercept(ports[i]);
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%s0x%x", i ? " " : "", ports[i]);
    }
    log_info("io", "ports intercepted for guest reset and power-off: %s (0x60 while an 8042 0xd1/0xd0 waits for its "
                   "byte; every other port is the guest's)", list);
    a20_setup();

    /* on_reset=restart puts the image back as the guest first had it: keep a copy where the
     * guest cannot write (the pool is hidden by EPT) */
    vmx.boot_drive = guest->boot_drive;
    if (vmx.opts.on_reset == OPT_RESET_RESTART) {
        unsigned pages = (unsigned)((guest->size + PAGE_SIZE - 1) / PAGE_SIZE);
        vmx.guest_copy_pa = pool_alloc_pages(vmx.pool, pages ? pages : 1);
        if (!vmx.guest_copy_pa)
            panic("on_reset=restart: no room in the pool for a %u-byte copy of the guest image", guest->size);
        memcpy(phys_to_virt(vmx.guest_copy_pa), guest->data, guest->size);
        vmx.guest_copy_size = guest->size;
    }
}

/* on_reset=restart. A real reset runs the firmware again, which would POST and load the boot
 * sector from its drive; vmxlab cannot run the BIOS's POST under VMX (Bochs's dies), so it
 * does what the POST would leave for the boot sector: the guest image copied back to
 * guest.load from the copy taken at start (for a chainloaded disk: its boot sector as read
 * then, not re-read from the disk), the vCPU reset (SDM Vol.3A 9.1: INIT state, events
 * dropped, TLBs flushed) and then put in the entry state of the guest contract (real mode at
 * guest.entry, SS:SP 0000:7C00, DL = boot drive, IF = 1). Other memory, the devices, the
 * virtual local APIC and the BIOS data area stay as the guest left them: an OS that rewrote
 * the interrupt vector table cannot be restarted this way (use on_reset=halt). */
static void guest_restart(struct vcpu *v)
{
    struct vcpu_start s = vcpu_entry_point();
    vcpu_init_reset(v, &s);
    vmx_guest_initial_state(v, &vmx.opts, vmx.boot_drive);
    memcpy(phys_to_virt(vmx.opts.guest_load), phys_to_virt(vmx.guest_copy_pa), vmx.guest_copy_size);
    log_info("io", "on_reset=restart: guest image reloaded at 0x%x (%u bytes), restart #%u at %04x:%04x, DL=0x%02x",
             vmx.opts.guest_load, vmx.guest_copy_size, ++vmx.guest_restarts, s.cs_selector, s.rip, vmx.boot_drive);
}

static const char *const event_key[] = {
    [IO_EVENT_RESET_KBD] = "kbd", [IO_EVENT_RESET_KBD_OUTPUT] = "kbd", [IO_EVENT_RESET_CF9] = "cf9",
    [IO_EVENT_RESET_FAST] = "fast", [IO_EVENT_RESET_ACPI] = "acpi",
};

static enum exit_action io_event(struct vcpu *v, const char *insn, uint32_t value, enum io_event e, uint8_t typ)
{
    switch (e) {
    case IO_EVENT_POWER_OFF:
        log_info("io", "guest powered off: %s <- 0x%x sets SLP_EN with SLP_TYP %u (\\_S5): %s, stopping with status 0",
                 insn, value, typ, io_event_name(e));
        v->stop_status = STATUS_OK;
        return EXIT_STOP;
    case IO_EVENT_SLEEP:
        /* S1-S4 would stop the real CPU in VMX operation; the write is dropped, so for the
         * guest the sleep ends at once, as after an immediate wake event */
        log_warn("io", "%s <- 0x%x asks for ACPI sleep with SLP_TYP %u (not \\_S5): vmxlab does not sleep, "
                       "the write is dropped and the guest goes on", insn, value, typ);
        vcpu_skip_instruction(v);
        return EXIT_RESUME;
    default:
        break;
    }
    log_info("io", "guest reset event=%s: %s <- 0x%02x (%s), on_reset=%s", event_key[e], insn, value,
             io_event_name(e), vmx.opts.on_reset == OPT_RESET_RESTART ? "restart" : "halt");
    if (vmx.opts.on_reset == OPT_RESET_RESTART) {
        a20_machine_reset(v);   /* Bochs's reset turns A20 on */
        guest_restart(v);
        return EXIT_RESUME;
    }
    v->stop_status = STATUS_OK;
    return EXIT_STOP;
}

/* Exit reason 30 (SDM 25.1.3; qualification Table 27-5). Only the ports io_setup() marks
 * exit, so this runs for the guest's accesses to them: 8042 status reads and PCI
 * configuration dwords through 0xCF8 are the frequent ones, hence log_debug. */
enum exit_action exit_io_instruction(struct vcpu *v)
{
    struct io_access a;
    char insn[40];
    if (!io_qual_decode(v->exit_qualification, &a)) {
        log_error("exit", "I/O instruction with qualification 0x%llx: a size encoding SDM Table 27-5 does not list",
                  (unsigned long long)v->exit_qualification);
        v->stop_status = STATUS_INTERNAL;
        return EXIT_STOP;
    }
    io_access_format(&a, insn, sizeof(insn));
    if (a.string) {
        log_error("exit", "%s: string I/O to a port vmxlab intercepts (reset and ACPI power-off, README) is not "
                          "emulated: stopping the guest", insn);
        v->stop_status = STATUS_INTERNAL;
        return EXIT_STOP;
    }
    uint32_t mask = a.size == 4 ? 0xFFFFFFFFu : (1u << (8 * a.size)) - 1;
    /* the gate and the machine's 8042 behind it are every vCPU's: one access at a time */
    spin_lock(&vmx.a20.lock);
    if (a.in) {
        uint32_t machine = port_in(a.port, a.size);
        uint32_t value = a20_gate_in(&vmx.a20.gate, &a, machine);
        /* a 32-bit IN writes EAX, which clears RAX[63:32] in 64-bit mode (SDM Vol.1 3.4.1.1) */
        v->gpr[GPR_RAX] = a.size == 4 ? value : (v->gpr[GPR_RAX] & ~(uint64_t)mask) | value;
        if (value == machine)
            log_debug("exit", "%s -> 0x%x: carried out for the guest", insn, value);
        else
            log_debug("exit", "%s -> 0x%x: carried out, the guest reads 0x%x (its A20)", insn, machine, value);
    } else {
        uint32_t value = (uint32_t)v->gpr[GPR_RAX] & mask;
        uint8_t typ = 0;
        struct a20_write w;
        enum io_event e = io_event_of_write(&a, value, &vmx.io_watch, &typ);
        if (e == IO_EVENT_NONE) {
            a20_gate_out(&vmx.a20.gate, &a, value, &w);
            if (w.reset)
                e = IO_EVENT_RESET_KBD_OUTPUT;
        }
        if (e != IO_EVENT_NONE) {
            spin_unlock(&vmx.a20.lock);
            return io_event(v, insn, value, e, typ);
        }
        if (w.changed)
            a20_changed(v, insn, value, w.what);
        port_out(a.port, a.size, w.value);
        if (w.value == value)
            log_debug("exit", "%s <- 0x%x: carried out for the guest", insn, value);
        else
            log_debug("exit", "%s <- 0x%x: carried out as 0x%x (the machine's A20 stays on)", insn, value, w.value);
    }
    watch_kbd_data(v, a20_gate_watches_data(&vmx.a20.gate));
    spin_unlock(&vmx.a20.lock);
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}
