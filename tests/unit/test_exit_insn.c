/*
 * test_exit_insn.c - vmx's handlers of the exits a guest's instruction causes, against the fake
 * VMCS and CPU (tests/unit/fake_vmcs.h): the dispatcher, VMX instructions and MWAIT (#UD),
 * CPUID, RDMSR/WRMSR, the guest's TSC, I/O to the reset and power-off ports.
 * Each test states the SDM rule it checks; the expected values come from the manual, not from
 * vmxlab's constants. The tests named defectN_* are issue 9's defects (docs/cpu-rules.md,
 * docs/interrupts.md): each fails with its fix reverted.
 */
#include "tests/unit/exit_test_common.h"

/* ---- the dispatcher (vmx_exit_dispatch, SDM 24.9 exit-information fields) ----------------------- */
/* The dispatcher reads the exit reason, qualification, RIP and instruction length from the
 * VMCS (SDM 24.9.1), counts the exit by basic reason (bits 15:0) and runs the handler. */
static void test_dispatch_reads_exit_information(void **s)
{
    (void)s;
    fake_vmcs[VMCS_EXIT_REASON] = EXIT_REASON_CPUID;
    fake_vmcs[VMCS_EXIT_QUALIFICATION] = 0;
    fake_vmcs[VMCS_GUEST_RIP] = 0x7C40;
    fake_vmcs[VMCS_EXIT_INSTRUCTION_LENGTH] = 2;
    v->gpr[GPR_RAX] = 0;
    assert_int_equal(vmx_exit_dispatch(v), EXIT_RESUME);
    assert_int_equal(v->exit_reason, EXIT_REASON_CPUID);
    assert_int_equal(v->exits_total, 1);
    assert_int_equal(v->exit_counts[EXIT_REASON_CPUID], 1);
    assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], 0x7C42);
}

/* The IDT-vectoring information is valid only for an exit during event delivery (SDM 27.2.4
 * "Information for VM Exits During Event Delivery": an intercepted fault, a task switch
 * through a task gate, an APIC access, an EPT violation or misconfiguration, ...); a CPUID
 * exit never is one, so whatever that field holds then (here a valid #PF left from an earlier
 * exit) is no event to re-inject (26.6.1.1), on the first exit of the reason (the long path)
 * as on the next (the short one). */
static void test_dispatch_cpuid_has_no_idt_vectoring(void **s)
{
    (void)s;
    fake_vmcs[VMCS_IDT_VECTORING_INFO] = INFO_VALID | INFO_TYPE(3) | 14;
    fake_vmcs[VMCS_EXIT_REASON] = EXIT_REASON_CPUID;
    fake_vmcs[VMCS_EXIT_INSTRUCTION_LENGTH] = 2;
    for (int i = 0; i < 2; i++) {
        fake_vmcs[VMCS_GUEST_RIP] = 0x7C40;
        fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO] = 0;
        v->gpr[GPR_RAX] = 0;
        assert_int_equal(vmx_exit_dispatch(v), EXIT_RESUME);
        assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], 0x7C42);
        intr_before_entry(v);
        assert_int_equal(fake_entry_info(), 0);
    }
    assert_int_equal(v->exit_counts[EXIT_REASON_CPUID], 2);
}

/* A reason vmxlab has no handler for (GETSEC, 11: SDM 25.1.2, it exits unconditionally):
 * stop with status 4, and the log names the reason as the SDM does, with its section. */
static void test_dispatch_unhandled_reason(void **s)
{
    (void)s;
    exit_table_finish(); /* as vmx_run() does before the first entry */
    fake_vmcs[VMCS_EXIT_REASON] = EXIT_REASON_GETSEC;
    assert_int_equal(vmx_exit_dispatch(v), EXIT_STOP);
    assert_int_equal(v->stop_status, STATUS_INTERNAL);
    assert_log(fake_log_find('E', "exit", "unhandled exit reason 11", "GETSEC", "SDM 25.1.2", (char *)0));
}

/* A VM-entry failure comes back as an exit with bit 31 of the reason set (SDM 26.8, 24.9.1):
 * vmxlab stops (status 4) and explains it, with its own guest-state checker's verdict. */
static void test_dispatch_entry_failure(void **s)
{
    (void)s;
    fake_vmcs[VMCS_EXIT_REASON] = EXIT_REASON_ENTRY_FAILURE | EXIT_REASON_INVALID_GUEST_STATE;
    assert_int_equal(vmx_exit_dispatch(v), EXIT_STOP);
    assert_int_equal(v->stop_status, STATUS_INTERNAL);
    assert_log(fake_log_find('E', "vmx", "VM entry failed", "exit reason 33", (char *)0));
    assert_log(fake_log_find('E', "vmx", "guest-state check", (char *)0));
}

/* VMX instructions: the guest's CPUID shows no VMX, so they raise #UD as on a CPU without it
 * (SDM 30.3; 25.1.2: they exit unconditionally). #UD is vector 6, no error code. The log
 * names the instruction. */
static void test_vmx_instruction_ud(void **s)
{
    (void)s;
    protected_mode();
    fake_exit(v, EXIT_REASON_VMXON, 0, 0x50, 4);
    assert_int_equal(exit_vmx_instruction(v), EXIT_RESUME);
    assert_int_equal(fake_entry_info(), INFO_VALID | INFO_TYPE(3) | 6u);
    assert_int_equal(fake_vmcs_written[VMCS_GUEST_RIP], 0);
    assert_log(fake_log_find('I', "exit", "VMXON", "#UD", (char *)0));
}

/* MWAIT is hidden (CPUID.1:ECX[3] = 0), so it raises #UD (SDM Vol.2 MWAIT). */
static void test_mwait_ud(void **s)
{
    (void)s;
    fake_exit(v, EXIT_REASON_MWAIT, 0, 0x60, 3);
    assert_int_equal(exit_monitor_mwait(v), EXIT_RESUME);
    assert_int_equal(fake_entry_info(), INFO_VALID | INFO_TYPE(3) | 6u);
    assert_log(fake_log_find('I', "exit", "MWAIT", "#UD", (char *)0));
}

/* ---- CPUID (SDM Vol.3C 25.1.2: always exits) ---------------------------------------------- */
#define ECX_MONITOR (1u << 3)
#define ECX_VMX (1u << 5)
#define ECX_OSXSAVE (1u << 27)
#define ECX_HYPERVISOR (1u << 31)

/* Leaf 1 as the guest sees it: VMX clear (SDM 23.6: software discovers VMX through
 * CPUID.1:ECX[5]; vmxlab's guest has none), CPUID.1:ECX[31] "hypervisor present",
 * ECX[27] OSXSAVE = the guest's CR4.OSXSAVE, not vmxlab's (SDM Vol.2 CPUID, Table 3-10:
 * "a value of 1 indicates that the OS has set CR4.OSXSAVE"), MONITOR hidden; RIP moves by
 * the exit instruction length (SDM 27.2.5: the length of the instruction that exited). */
static void test_cpuid_leaf1(void **s)
{
    (void)s;
    fake_cpuid_set(1, 0, 0x00050654, 0x00010800, ECX_VMX | ECX_OSXSAVE | ECX_MONITOR | 0x1, 0xBFEBFBFF);
    fake_exit(v, EXIT_REASON_CPUID, 0, 0x7C10, 2);
    v->gpr[GPR_RAX] = 1, v->gpr[GPR_RCX] = 0;
    assert_int_equal(exit_cpuid(v), EXIT_RESUME);
    uint32_t ecx = (uint32_t)v->gpr[GPR_RCX];
    assert_false(ecx & ECX_VMX);
    assert_true(ecx & ECX_HYPERVISOR);
    assert_false(ecx & ECX_OSXSAVE);     /* the guest's CR4.OSXSAVE is 0 (vmxlab's is 1) */
    assert_false(ecx & ECX_MONITOR);
    assert_true(ecx & 1);                /* SSE3 passes through */
    assert_int_equal(v->gpr[GPR_RAX], 0x00050654);
    assert_int_equal(v->gpr[GPR_RDX], 0xBFEBFBFF);
    assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], 0x7C12);
    assert_log(fake_log_find('D', "exit", "CPUID leaf 0x1", (char *)0));

    /* the guest sets CR4.OSXSAVE (a bit it owns: the CR4 field holds it) */
    fake_vmcs[VMCS_GUEST_CR4] |= CR4_OSXSAVE;
    fake_exit(v, EXIT_REASON_CPUID, 0, 0x7C12, 2);
    v->gpr[GPR_RAX] = 1, v->gpr[GPR_RCX] = 0;
    exit_cpuid(v);
    assert_true(v->gpr[GPR_RCX] & ECX_OSXSAVE);
}

/* A feature the CPU has but whose secondary control it cannot set raises #UD in VMX non-root
 * operation (SDM 25.3), so CPUID hides it: RDTSCP, CPUID.80000001H:EDX[27], without "enable
 * RDTSCP"; the setup line names it and the control. */
static void test_cpuid_hidden_feature(void **s)
{
    (void)s;
    fake_cpuid_set(0, 0, 0xD, 0, 0, 0);
    fake_cpuid_set(0x80000000, 0, 0x80000008, 0, 0, 0);
    fake_cpuid_set(0x80000001, 0, 0, 0, 0, (1u << 27) | (1u << 20));
    vmx.caps.ctl[VMX_CTL_PROC2].may_be_1 = 0; /* no "enable RDTSCP" */
    vmx_cpuid_setup();
    assert_log(fake_log_find('I', "cpuid", "RDTSCP", "enable RDTSCP", (char *)0));
    fake_exit(v, EXIT_REASON_CPUID, 0, 0x100, 2);
    v->gpr[GPR_RAX] = 0x80000001, v->gpr[GPR_RCX] = 0;
    exit_cpuid(v);
    assert_false(v->gpr[GPR_RDX] & (1u << 27));
    assert_true(v->gpr[GPR_RDX] & (1u << 20));  /* NX passes */

    /* with the control the feature shows, and the control is asked for */
    vmx.caps.ctl[VMX_CTL_PROC2].may_be_1 = SECONDARY_ENABLE_RDTSCP;
    assert_true(vmx_cpuid_setup() & SECONDARY_ENABLE_RDTSCP);
    v->gpr[GPR_RAX] = 0x80000001, v->gpr[GPR_RCX] = 0;
    exit_cpuid(v);
    assert_true(v->gpr[GPR_RDX] & (1u << 27));
}

/* SDM 24.4.2, Table 24-3: blocking by STI or MOV SS ends after the next instruction; vmxlab
 * carried the instruction out, so it clears the bits (else VM entry would hold off an
 * interrupt one instruction too long). */
static void test_skip_ends_sti_blocking(void **s)
{
    (void)s;
    fake_vmcs[VMCS_GUEST_INTERRUPTIBILITY_STATE] = GUEST_INTR_STATE_STI | GUEST_INTR_STATE_NMI;
    fake_exit(v, EXIT_REASON_CPUID, 0, 0x200, 2);
    exit_cpuid(v);
    assert_int_equal(fake_vmcs[VMCS_GUEST_INTERRUPTIBILITY_STATE], GUEST_INTR_STATE_NMI);
}

/* Defect 3: RFLAGS.TF over an instruction vmxlab emulated raises the single-step #DB after it
 * (SDM Vol.3B 18.3.1.4); the exit pre-empted that trap, so vmxlab leaves it pending in the
 * guest's pending debug exceptions, BS = bit 14 (SDM 24.4.2, Table 24-4; 27.3.4). With
 * IA32_DEBUGCTL.BTF, TF traps only on branches: no BS. */
static void test_defect3_single_step_after_emulated_insn(void **s)
{
    (void)s;
    fake_vmcs[VMCS_GUEST_RFLAGS] = 0x2 | (1u << 8);
    fake_exit(v, EXIT_REASON_CPUID, 0, 0x300, 2);
    exit_cpuid(v);
    assert_int_equal(fake_vmcs[VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS], 1u << 14);

    fake_vmcs[VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS] = 0;
    fake_vmcs[VMCS_GUEST_IA32_DEBUGCTL] = 1u << 1; /* BTF */
    fake_exit(v, EXIT_REASON_CPUID, 0, 0x302, 2);
    exit_cpuid(v);
    assert_int_equal(fake_vmcs[VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS], 0);
}

/* ---- RDMSR / WRMSR (SDM 24.6.9 MSR bitmaps, 25.1.3) --------------------------------------- */
static uint64_t hooked_value;
static bool hook_rd(struct vcpu *vc, uint32_t msr, uint64_t *value)
{
    (void)vc;
    if (msr == 0x4F1)
        return false;
    *value = hooked_value;
    return true;
}
static bool hook_wr(struct vcpu *vc, uint32_t msr, uint64_t value)
{
    (void)vc;
    if (msr == 0x4F1)
        return false;
    hooked_value = value;
    return true;
}

static int group_setup(void **s)
{
    (void)s;
    fake_reset();
    msr_hook_set(0x4F0, 0x4F1, hook_rd, hook_wr); /* once: msr_hook_set has 8 slots */
    /* vmx/tsc.c's hooks, on a CPU with IA32_TSC_ADJUST (CPUID.(7,0):EBX[1]) */
    fake_cpuid_set(0, 0, 0xD, 0, 0, 0);
    fake_cpuid_set(7, 0, 0, 1u << 1, 0, 0);
    fake_msr_set(0x3B, 0);
    vmx_tsc_setup(&vmx.vcpus[0]);
    assert_true(vmx.vcpus[0].ctl[VMX_CTL_PROC] & CPU_BASED_USE_TSC_OFFSETTING);
    assert_false(vmx.vcpus[0].ctl[VMX_CTL_PROC] & CPU_BASED_RDTSC_EXITING);
    return 0;
}

/* RDMSR returns the MSR in EDX:EAX, WRMSR takes EDX:EAX (SDM Vol.2 RDMSR/WRMSR); a handled
 * access moves RIP past the instruction. */
static void test_msr_known(void **s)
{
    (void)s;
    v->gpr[GPR_RCX] = 0x4F0, v->gpr[GPR_RDX] = 0x12345678, v->gpr[GPR_RAX] = 0x9ABCDEF0;
    fake_exit(v, EXIT_REASON_WRMSR, 0, 0x1000, 2);
    assert_int_equal(exit_wrmsr(v), EXIT_RESUME);
    assert_int_equal(hooked_value, 0x123456789ABCDEF0ull);
    assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], 0x1002);
    v->gpr[GPR_RAX] = v->gpr[GPR_RDX] = ~0ull;
    fake_exit(v, EXIT_REASON_RDMSR, 0, 0x1002, 2);
    assert_int_equal(exit_rdmsr(v), EXIT_RESUME);
    assert_int_equal(v->gpr[GPR_RAX], 0x9ABCDEF0);   /* the high 32 bits of RAX and RDX cleared */
    assert_int_equal(v->gpr[GPR_RDX], 0x12345678);
    assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], 0x1004);
    assert_no_event();
}

/* An MSR the CPU does not have: RDMSR/WRMSR raise #GP(0) (SDM Vol.2 RDMSR). Injected as a
 * hardware exception, vector 13, with error code 0 in protected mode (SDM 24.8.3) and none
 * in real mode (with unrestricted guest and CR0.PE=0, deliver-error-code must be 0, SDM
 * 26.2.1.3); RIP stays on the instruction (a fault). The log names the access and the MSR. */
static void test_msr_unknown_gp(void **s)
{
    (void)s;
    protected_mode();
    v->gpr[GPR_RCX] = 0xC0011029; /* AMD's DE_CFG, which Linux probes */
    fake_exit(v, EXIT_REASON_RDMSR, 0, 0x2000, 2);
    assert_int_equal(exit_rdmsr(v), EXIT_RESUME);
    assert_int_equal(fake_entry_info(), GP_PROTECTED);
    assert_int_equal(fake_vmcs[VMCS_ENTRY_EXCEPTION_ERROR_CODE], 0);
    assert_int_equal(fake_vmcs_written[VMCS_GUEST_RIP], 0);
    assert_log(fake_log_find('I', "exit", "RDMSR", "0xc0011029", "#GP", (char *)0));

    setup(0);
    v->gpr[GPR_RCX] = IA32_FEATURE_CONTROL; /* VMX is hidden: as on a CPU without it */
    fake_exit(v, EXIT_REASON_WRMSR, 0, 0x2000, 2);
    exit_wrmsr(v);
    assert_int_equal(fake_entry_info(), GP_REAL);
    assert_log(fake_log_find('I', "exit", "WRMSR", "0x3a", "#GP", (char *)0));

    setup(0);
    v->gpr[GPR_RCX] = 0x4F1; /* a hook that refuses */
    fake_exit(v, EXIT_REASON_RDMSR, 0, 0x2000, 2);
    exit_rdmsr(v);
    assert_int_equal(fake_entry_info(), GP_REAL);
    assert_int_equal(fake_vmcs_written[VMCS_GUEST_RIP], 0);
}

/* ---- the guest's TSC (SDM 24.6.5 TSC offsetting, 25.3) ------------------------------------ */
/* Defect 11: the guest owns its TSC. With "use TSC offsetting" its RDTSC/RDMSR read the CPU's
 * TSC plus the TSC offset (SDM 25.3); its WRMSR to IA32_TIME_STAMP_COUNTER exits (the MSR
 * bitmap) and moves only the offset, so that the guest reads the value written from then on,
 * and vmxlab's own TSC is not touched. IA32_TSC_ADJUST changes by the same amount, and a
 * write to it moves the TSC by its change (SDM 17.17.3). Before the fix the WRMSR reached
 * the CPU and moved vmxlab's clock. */
static void test_defect11_guest_owns_its_tsc(void **s)
{
    (void)s;
    fake_cpu.tsc = 1000000;
    fake_msr_set(0x10, 1000000); /* the CPU's own TSC and TSC_ADJUST, to see they stay */
    fake_msr_set(0x3B, 0);
    v->gpr[GPR_RCX] = 0x10, v->gpr[GPR_RDX] = 0, v->gpr[GPR_RAX] = 5000;
    fake_exit(v, EXIT_REASON_WRMSR, 0, 0x40, 2);
    assert_int_equal(exit_wrmsr(v), EXIT_RESUME);
    assert_no_event();
    /* what the guest's RDTSC returns now: the CPU's TSC + the offset (mod 2^64) */
    assert_int_equal((uint64_t)(1000000 + fake_vmcs[VMCS_TSC_OFFSET]), 5000);
    assert_int_equal(fake_cpu.tsc, 1000000);       /* vmxlab's TSC read, never written */
    assert_int_equal(fake_msr_get(0x10), 1000000); /* no WRMSR reached the CPU */
    assert_int_equal(fake_msr_get(0x3B), 0);
    assert_log(fake_log_find('I', "tsc", "WRMSR IA32_TIME_STAMP_COUNTER", (char *)0));

    /* IA32_TSC_ADJUST moved with it: 5000 - 1000000 */
    v->gpr[GPR_RCX] = 0x3B;
    fake_exit(v, EXIT_REASON_RDMSR, 0, 0x42, 2);
    exit_rdmsr(v);
    assert_int_equal((v->gpr[GPR_RDX] << 32) | v->gpr[GPR_RAX], (uint64_t)(5000 - 1000000));
    /* writing IA32_TSC_ADJUST 0 moves the guest's TSC by +995000 */
    v->gpr[GPR_RDX] = 0, v->gpr[GPR_RAX] = 0;
    fake_exit(v, EXIT_REASON_WRMSR, 0, 0x44, 2);
    exit_wrmsr(v);
    assert_int_equal((uint64_t)(1000000 + fake_vmcs[VMCS_TSC_OFFSET]), 1000000);
    assert_int_equal(fake_msr_get(0x3B), 0);
}

/* ---- I/O: the reset and power-off ports (SDM 25.1.3, qualification Table 27-5) ------------ */
/* Table 27-5: bits 2:0 size - 1, bit 3 direction (1 = IN), bit 4 string, bit 5 REP, bit 6
 * operand (1 = immediate port), bits 31:16 the port. */
#define IOQ(port, size, string) ((uint64_t)(port) << 16 | (uint64_t)((size) - 1) | (string ? 1u << 4 : 0) | 1u << 6)

/* Defect 14: a guest's machine reset (the 8042's pulse-output-port command FEh on port 64h;
 * port 92h bit 0, fast reset) or ACPI soft-off (SLP_EN with \_S5's SLP_TYP written to
 * PM1a_CNT, ACPI 6.5 7.4.2) is a vmxlab event: with on_reset=halt vmxlab stops with status 0
 * and one line naming the event, and the write never reaches the machine. Before the fix it
 * did, and the BIOS died with no status line. Any other access to these ports is carried out
 * for the guest unchanged (the README's guest contract): an 8042 status read, a command
 * that is not a reset. */
static void test_defect14_reset_and_s5_are_events(void **s)
{
    (void)s;
    v->gpr[GPR_RAX] = 0xFE;
    fake_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(0x64, 1, false), 0x7C20, 2);  /* out 64h, al */
    assert_int_equal(exit_io_instruction(v), EXIT_STOP);
    assert_int_equal(v->stop_status, STATUS_OK);
    assert_int_equal(fake_cpu.outs, 0);
    assert_log(fake_log_find('I', "io", "guest reset event=kbd", "on_reset=halt", (char *)0));

    setup(0);
    v->gpr[GPR_RAX] = 0x01;
    fake_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(0x92, 1, false), 0x7C20, 2);
    assert_int_equal(exit_io_instruction(v), EXIT_STOP);
    assert_int_equal(fake_cpu.outs, 0);
    assert_log(fake_log_find('I', "io", "guest reset event=fast", (char *)0));

    setup(0);
    vmx.io_watch.pm1a_cnt = 0xB004, vmx.io_watch.slp_typa = 5;
    v->gpr[GPR_RAX] = (1u << 13) | (5u << 10);  /* SLP_EN, SLP_TYP 5 */
    fake_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(0xB004, 2, false) & ~(1ull << 6), 0x7C20, 1); /* out dx, ax */
    assert_int_equal(exit_io_instruction(v), EXIT_STOP);
    assert_int_equal(v->stop_status, STATUS_OK);
    assert_int_equal(fake_cpu.outs, 0);
    assert_log(fake_log_find('I', "io", "guest powered off", "SLP_TYP 5", (char *)0));

    /* not events: carried out, RIP past the instruction; IN 64h reads the 8042's status into
     * AL, RAX's other bits kept */
    setup(0);
    v->gpr[GPR_RAX] = 0xD1;  /* "write output port": no reset by itself */
    fake_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(0x64, 1, false), 0x7C20, 2);
    assert_int_equal(exit_io_instruction(v), EXIT_RESUME);
    assert_int_equal(fake_cpu.outs, 1);
    assert_int_equal(fake_cpu.port[0x64], 0xD1);
    assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], 0x7C22);
    fake_cpu.port[0x64] = 0x1C;
    v->gpr[GPR_RAX] = 0x12345678;
    fake_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(0x64, 1, false) | 1u << 3, 0x7C22, 2);   /* in al, 64h */
    assert_int_equal(exit_io_instruction(v), EXIT_RESUME);
    assert_int_equal(v->gpr[GPR_RAX], 0x1234561C);

    /* string I/O to these ports is vmxlab's documented limit: refused, status 4, named */
    setup(0);
    fake_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(0x64, 1, true) & ~(1ull << 6), 0x7C20, 1);   /* outsb */
    assert_int_equal(exit_io_instruction(v), EXIT_STOP);
    assert_int_equal(v->stop_status, STATUS_INTERNAL);
    assert_log(fake_log_find('E', "exit", "string I/O", (char *)0));
}

/* The guest's A20 (vmx/a20_gate.c behind exit 30): the machine's stays on, the guest reads
 * its own bit back; port 0x60 is marked in the vCPU's bitmap A only while an 8042 D1h waits
 * for its byte; an output-port byte with bit 0 clear is the 8042's reset. Before the fix the
 * guest's A20-off write went out on the machine as written. */
static void test_a20_gate_through_io_exits(void **s)
{
    (void)s;
    static _Alignas(4096) uint8_t bitmap_a[4096];
    memset(bitmap_a, 0, sizeof(bitmap_a));
    v->io_bitmap_a_pa = (uint64_t)(uintptr_t)bitmap_a;
    v->gpr[GPR_RAX] = 0x00;
    fake_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(0x92, 1, false), 0x7C20, 2);   /* out 92h, al */
    assert_int_equal(exit_io_instruction(v), EXIT_RESUME);
    assert_int_equal(fake_cpu.port[0x92], 0x02);
    assert_true(vmx.a20.gate.off);
    assert_log(fake_log_find('D', "io", "A20 off: OUT imm8, AL port 0x92 <- 0x0", (char *)0));
    assert_log(fake_log_find('I', "io", "the guest turned A20 off", "above 2 MiB", (char *)0));
    v->gpr[GPR_RAX] = 0xFFFF;
    fake_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(0x92, 1, false) | 1u << 3, 0x7C22, 2); /* in al, 92h */
    assert_int_equal(exit_io_instruction(v), EXIT_RESUME);
    assert_int_equal(v->gpr[GPR_RAX], 0xFF00);

    v->gpr[GPR_RAX] = 0xD1;
    fake_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(0x64, 1, false), 0x7C24, 2);
    assert_int_equal(exit_io_instruction(v), EXIT_RESUME);
    assert_int_equal(bitmap_a[0x60 / 8], 1u << (0x60 % 8));
    v->gpr[GPR_RAX] = 0xDF;
    fake_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(0x60, 1, false), 0x7C26, 2);
    assert_int_equal(exit_io_instruction(v), EXIT_RESUME);
    assert_int_equal(fake_cpu.port[0x60], 0xDF);
    assert_false(vmx.a20.gate.off);
    assert_int_equal(bitmap_a[0x60 / 8], 0);
    assert_log(fake_log_find('D', "io", "A20 on: OUT imm8, AL port 0x60 <- 0xdf (8042 output port", (char *)0));

    /* off again: no second info line */
    unsigned lines = fake_log_count();
    v->gpr[GPR_RAX] = 0xDD;
    fake_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(0x64, 1, false), 0x7C28, 2);
    assert_int_equal(exit_io_instruction(v), EXIT_RESUME);
    assert_int_equal(fake_cpu.port[0x64], 0xDF);
    assert_true(vmx.a20.gate.off);
    assert_int_equal(fake_log_count(), lines + 2);   /* the A20 line and the carried-out line, at debug */

    /* D1h, then a byte with the reset line (bit 0) low: a reset, not written */
    v->gpr[GPR_RAX] = 0xD1;
    fake_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(0x64, 1, false), 0x7C2A, 2);
    assert_int_equal(exit_io_instruction(v), EXIT_RESUME);
    unsigned outs = fake_cpu.outs;
    v->gpr[GPR_RAX] = 0xDC;
    fake_exit(v, EXIT_REASON_IO_INSTRUCTION, IOQ(0x60, 1, false), 0x7C2C, 2);
    assert_int_equal(exit_io_instruction(v), EXIT_STOP);
    assert_int_equal(v->stop_status, STATUS_OK);
    assert_int_equal(fake_cpu.outs, outs);
    assert_log(fake_log_find('I', "io", "guest reset event=kbd: OUT imm8, AL port 0x60 <- 0xdc", "output port",
                             (char *)0));
}

#define T(f) cmocka_unit_test_setup(f, setup)
int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_dispatch_reads_exit_information),
        T(test_dispatch_cpuid_has_no_idt_vectoring),
        T(test_dispatch_unhandled_reason),
        T(test_dispatch_entry_failure),
        T(test_vmx_instruction_ud),
        T(test_mwait_ud),
        T(test_cpuid_leaf1),
        T(test_cpuid_hidden_feature),
        T(test_skip_ends_sti_blocking),
        T(test_defect3_single_step_after_emulated_insn),
        T(test_msr_known),
        T(test_msr_unknown_gp),
        T(test_defect11_guest_owns_its_tsc),
        T(test_defect14_reset_and_s5_are_events),
        T(test_a20_gate_through_io_exits),
    };
    return cmocka_run_group_tests(tests, group_setup, 0);
}
