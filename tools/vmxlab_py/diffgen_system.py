"""The differential-test generator's system blocks (diffgen.py): INT n, exceptions, port I/O,
CPUID, control registers, MSRs, EFLAGS, and the protected-mode (and paging) round trip. A mixin
of diffgen.Program: the methods use its state (self.emit, self.flags, the segments).
"""
from .diffgen_defs import *  # noqa: F401,F403


class SystemBlocks:
    def b_intn(self, r):
        if self.bits != 16:
            return self.b_alu(r)
        vec = r.choice(list(range(0x60, 0x68)) + list(range(0x80, 0xC0)))
        handler, after = self.lab(), self.lab()
        self.emit("jmp %s" % after, "%s:" % handler)
        saved = self.undef
        frame = r.random() < 0.5
        if frame:
            self.emit("push bp", "mov bp, sp")
        for _ in range(r.randrange(1, 6)):
            if r.random() < 0.6:
                self.alu_one(r, avoid=("ebp",) if frame else ())
            else:
                self.mem_one(r, avoid=("ebp",) if frame else ())
        self.undef = saved      # IRET puts back the caller's FLAGS (pushed by INT)
        if frame:
            if r.random() < 0.6:  # change the saved FLAGS image: CF, ZF or SF after the return
                bit = r.choice([CF, ZF, SF])
                if r.random() < 0.5:
                    self.emit("or word [ss:bp+6], 0x%x" % bit)
                else:
                    self.emit("and word [ss:bp+6], 0x%x" % (~bit & 0xFFFF))
                self.undef &= ~bit
            self.emit("pop bp")
        self.emit("iret", "%s:" % after)
        self.emit("mov word [cs:0x%x], %s" % (vec * 4, handler), "mov word [cs:0x%x], 0" % (vec * 4 + 2))
        self.emit("int 0x%x" % vec)

    def b_exception(self, r):
        """An exception through the guest's IVT (the exception bitmap is 0 under vmxlab: the guest
        gets it as on bare metal). Faults return after the faulting instruction (the handler moves
        the saved IP); traps (INT3, INT1, INTO) return after it anyway."""
        if self.bits != 16:
            return self.b_alu(r)
        kind = r.choice(["int3", "int1", "into", "de", "ud", "bound"])
        if kind == "bound":
            seg, off = self.any_mem(r, 32)
            if seg is None or off > 0xFFFF:
                kind = "ud"
        handler, resume, skip = self.lab(), self.lab(), self.lab()
        vec = {"int3": 3, "int1": 1, "into": 4, "de": 0, "ud": 6, "bound": 5}[kind]
        self.emit("jmp %s" % skip, "%s:" % handler, "push bp", "mov bp, sp",
                  "mov word [ss:bp+2], %s" % resume, "inc dword [cs:rt_tmp2]",
                  "pop bp", "iret", "%s:" % skip)
        self.emit("mov word [cs:0x%x], %s" % (vec * 4, handler), "mov word [cs:0x%x], 0" % (vec * 4 + 2))
        self.emit("mov dword [cs:rt_tmp2], 0x%x" % r.getrandbits(32))
        if kind == "int3":
            self.emit("int3")
        elif kind == "int1":
            self.emit("db 0xF1")                       # INT1 (ICEBP)
        elif kind == "into":
            r8 = r.choice(R8)
            if r.random() < 0.7:
                self.emit("mov %s, 0x7F" % r8, "add %s, 1" % r8)   # OF = 1: INTO traps
            else:
                self.emit("mov %s, 1" % r8, "add %s, 1" % r8)      # OF = 0: no trap
            self.flags(0, ARITH)
            self.emit("into")
        elif kind == "de":
            dv = r.choice(["bl", "cl", "bx", "cx", "ebx", "ecx", "esi", "edi"])
            self.emit("mov %s, 0" % dv, "div %s" % dv)           # #DE: nothing changes
        elif kind == "ud":
            self.emit("ud2")
        else:
            lo = r.randrange(0, 0x7F00)
            hi = lo + r.randrange(0, 0x100)
            val = r.choice([lo - 1 - r.randrange(0, 50), hi + 1 + r.randrange(0, 50), lo, hi]) & 0xFFFF
            self.emit("mov word [%s:0x%x], 0x%x" % (seg, off, lo), "mov word [%s:0x%x], 0x%x" % (seg, off + 2, hi),
                      "mov si, 0x%x" % val, "bound si, [%s:0x%x]" % (seg, off))
        self.emit("%s:" % resume, "mov esi, [cs:rt_tmp2]")

    def b_pio(self, r):
        for _ in range(r.randrange(1, 5)):
            k = r.choice(["unused_in", "unused_out", "porta", "pci", "pci", "cf9", "pm1"])
            reg = r.choice([("al", 8), ("ax", 16), ("eax", 32)])
            if k == "unused_in":
                port = r.choice(UNUSED_PORTS)
                if port < 0x100 and r.random() < 0.5:
                    self.emit("in %s, 0x%x" % (reg[0], port))
                else:
                    self.emit("mov dx, 0x%x" % port, "in %s, dx" % reg[0])
            elif k == "unused_out":
                self.emit("mov eax, 0x%x" % r.getrandbits(32), "mov dx, 0x%x" % r.choice(UNUSED_PORTS),
                          "out dx, %s" % reg[0])
            elif k == "porta":    # A20 on or off: port 0x92 bit 1 (never bit 0, the fast reset) or the
                # 8042's commands DDh/DFh (no status poll: Bochs's 8042 takes a command at once)
                if r.random() < 0.6:
                    off = r.random() < 0.5
                    if r.random() < 0.7:
                        self.emit("mov al, %d" % (0 if off else 2), "out 0x92, al")
                    else:
                        self.emit("mov al, 0x%X" % (0xDD if off else 0xDF), "out 0x64, al")
                    self.a20_off = off
                if r.random() < 0.5:
                    self.emit("in al, 0x92")
                else:
                    self.emit("mov dx, 0x92", "in al, dx")
            elif k == "pci":      # CONFIG_ADDRESS (0xCF8, dword: covers 0xCF9, so it exits), CONFIG_DATA
                dev, fn = r.randrange(0, 4), r.randrange(0, 8)
                reg_no = r.choice([0x00, 0x08, 0x2C])
                self.emit("mov eax, 0x%x" % (0x80000000 | dev << 11 | fn << 8 | reg_no), "mov dx, 0xCF8",
                          "out dx, eax")
                if r.random() < 0.3:
                    self.emit("in eax, dx")
                byte = r.choice([0, 0, 1, 2, 3])
                size = 8 if byte & 1 else r.choice([8, 16]) if byte == 2 else r.choice([8, 16, 32])
                self.emit("mov eax, 0x%x" % r.getrandbits(32), "mov dx, 0x%x" % (0xCFC + byte),
                          "in %s, dx" % {8: "al", 16: "ax", 32: "eax"}[size])
            elif k == "cf9":      # the reset control register, read only
                self.emit("mov eax, 0x%x" % r.getrandbits(32), "mov dx, 0xCF9", "in al, dx")
            else:                 # PM1a_CNT (Bochs: 0xB004; its high byte exits), read only
                self.emit("mov dx, 0xB004", "in %s, dx" % r.choice(["ax", "al"]))

    def b_cpuid(self, r):
        leaf = r.choice([0, 1, 2, 4, 7, 0xB, 0xD, 0x80000000, 0x80000001, 0x80000008, 0x40000000, 0x40000001])
        self.emit("mov eax, 0x%x" % leaf, "mov ecx, %d" % r.randrange(0, 3), "cpuid")
        keep = {0: 4, 1: 1, 0x80000000: 1}.get(leaf, 0)     # docs/cpuid.md: unchanged by vmxlab
        for reg in ["eax", "ebx", "ecx", "edx"][keep:]:
            self.emit("mov %s, 0x%x" % (reg, r.getrandbits(32)))

    def b_crx(self, r):
        for _ in range(r.randrange(1, 4)):
            k = r.choice(["cr0", "cr0", "cr4", "cr4", "clts", "smsw", "lmsw", "xcr0"])
            a, b = r.sample(R32, 2)
            if k == "cr0":
                bits = sum(x for x in CR0_TOGGLE if r.random() < 0.3)
                self.emit("mov %s, cr0" % a, "xor %s, 0x%x" % (a, bits), "mov cr0, %s" % a, "mov %s, cr0" % b)
                self.undef |= ARITH           # MOV CR: OF, SF, ZF, AF, PF, CF undefined
            elif k == "cr4":
                bits = sum(x for x in CR4_TOGGLE if r.random() < 0.3)
                self.emit("mov %s, cr4" % a, "xor %s, 0x%x" % (a, bits), "mov cr4, %s" % a, "mov %s, cr4" % b)
                self.undef |= ARITH
            elif k == "xcr0":             # XSETBV (always exits, vmxlab checks and executes it), XGETBV
                self.emit("mov eax, cr4", "or eax, 0x40000", "mov cr4, eax",        # CR4.OSXSAVE
                          "xor ecx, ecx", "xor edx, edx", "mov eax, %d" % r.choice([1, 3]), "xsetbv",
                          "mov eax, 0x%x" % r.getrandbits(32), "xgetbv")
                self.undef |= ARITH
            elif k == "clts":
                self.emit("clts")
            elif k == "smsw":             # SMSW r32: bits 31:16 undefined, so 16-bit forms only
                if r.random() < 0.5:
                    self.emit("smsw %s" % R16[a])
                else:
                    seg, off = self.any_mem(r, 16)
                    if seg is not None:
                        pre, m = self.mem_operand(r, seg, off, 16)
                        self.emit(*pre)
                        self.emit("smsw %s" % m)
            else:                         # LMSW: MP, EM, TS (PE stays 0: bit 0 clear)
                self.emit("mov %s, 0x%x" % (R16[a], r.getrandbits(16) & 0xFFFE), "lmsw %s" % R16[a])

    def b_msr(self, r):
        """RDMSR/WRMSR of MSRs that are guest state (SYSENTER_CS/ESP/EIP and EFER live in the
        VMCS guest-state area across exits; IA32_PAT), with a CPUID (an exit) in between, and
        IA32_APIC_BASE, which vmxlab emulates."""
        for _ in range(r.randrange(1, 4)):
            k = r.choice(["sysenter", "efer", "pat", "apicbase"])
            if k == "sysenter":
                msr = r.choice([0x174, 0x175, 0x176])
                val = r.getrandbits(16) if msr == 0x174 else r.getrandbits(32)
                self.emit("mov ecx, 0x%x" % msr, "mov eax, 0x%x" % val, "xor edx, edx", "wrmsr")
            elif k == "efer":      # SCE and NXE only (LME would make a later paging block IA-32e mode)
                msr = 0xC0000080
                self.emit("mov ecx, 0x%x" % msr, "mov eax, 0x%x" % r.choice([0, 1, 0x800, 0x801]), "xor edx, edx",
                          "wrmsr")
            elif k == "pat":
                msr = 0x277
                val = sum(r.choice(PAT_TYPES) << (8 * i) for i in range(8))
                self.emit("mov ecx, 0x277", "mov eax, 0x%x" % (val & 0xFFFFFFFF), "mov edx, 0x%x" % (val >> 32),
                          "wrmsr")
            else:
                msr = 0x1B
            if r.random() < 0.5:
                self.emit("push ecx", "mov eax, 0x%x" % r.choice([0, 1]), "cpuid", "pop ecx")
            self.emit("mov ecx, 0x%x" % msr, "mov eax, 0x%x" % r.getrandbits(32), "mov edx, 0x%x" % r.getrandbits(32),
                      "rdmsr")
            if k == "pat":         # the power-up PAT back (the host's too, if the guest's is not switched)
                self.emit("mov esi, eax", "mov edi, edx", "mov eax, 0x00070406", "mov edx, 0x00070406", "wrmsr")

    def b_flags(self, r):
        k = r.choice(["popf", "pushf"])
        reg = r.choice(R32)
        if k == "popf":
            self.emit("push dword 0x%x" % (r.getrandbits(32) & POPF_BITS | 2), "popfd")
            self.undef = 0
        else:
            mask = ~self.undef & 0xFFFFFFFF
            self.emit("pushfd", "pop %s" % reg, "and %s, 0x%x" % (reg, mask))
            self.flags(0, CF | PF | ZF | SF | OF, AF)

    def paging_on(self, r):
        """32-bit paging with 4 MiB pages (CR4.PSE) from the flat protected-mode body: the
        identity map plus the aliases of PAGE_DIR's comment. Under vmxlab CR0.PG is owned: the
        MOV to CR0 exits and vmxlab sets it."""
        self.emit("cld", "mov edi, 0x%x" % PAGE_DIR, "mov ecx, 1024", "xor eax, eax", "rep stosd")
        for i in range(4):
            self.emit("mov dword [0x%x], 0x%x" % (PAGE_DIR + 4 * i, i << 22 | 0x83))
        self.emit("mov dword [0x%x], 0xFEC00083" % (PAGE_DIR + 4 * (0xFEC00000 >> 22)),
                  "mov dword [0x%x], 0x83" % (PAGE_DIR + 4 * (RAM_ALIAS >> 22)),
                  "mov dword [0x%x], 0xFEC00083" % (PAGE_DIR + 4 * (0x80000000 >> 22)),
                  "mov eax, cr4", "or eax, 0x10", "mov cr4, eax",
                  "mov eax, 0x%x" % PAGE_DIR, "mov cr3, eax",
                  "mov eax, cr0", "or eax, 0x80000000", "mov cr0, eax")
        self.undef |= ARITH
        self.paging = True

    def b_pmode(self, r):
        """Real mode -> protected mode (a 32- or 16-bit body) -> real mode, leaving each data
        segment with the descriptor it had in protected mode (its base and limit), reloaded in
        real mode or not: big real mode when the limit is 4 GiB (SDM Vol.3A 9.9 "Mode Switching")."""
        if self.bits != 16:
            return
        pm, pm16, rm = self.lab(), self.lab(), self.lab()
        body32 = r.random() < 0.7
        self.emit("mov [cs:rt_tmp], eax", "lgdt [cs:rt_gdtr]", "mov eax, cr0", "or al, 1", "mov cr0, eax")
        self.undef |= ARITH
        self.pm = True
        if body32:
            self.emit("jmp dword 0x08:%s" % pm, "bits 32", "%s:" % pm, "mov ax, 0x10")
        else:
            self.emit("jmp 0x18:%s" % pm, "%s:" % pm, "mov ax, 0x28")
        for seg in DSEGS + ["ss"]:
            self.emit("mov %s, ax" % seg)
        self.emit("mov eax, [ss:rt_tmp]")
        desc = SEL["data32"] if body32 else SEL["big16"]
        for seg in DSEGS:
            self.segs[seg] = Seg(*desc)
        self.bits = 32 if body32 else 16
        if body32 and r.random() < 0.35:
            self.paging_on(r)
        for _ in range(r.randrange(1, 6)):
            k = r.choice(["alu", "mem", "mem", "string", "pio", "cpuid", "pmseg"])
            if k == "pmseg":
                seg = r.choice(DSEGS)
                name = r.choice(list(SEL))
                self.emit("push %s 0x%x" % ("dword" if self.bits == 32 else "word", SEL[name][0]), "pop %s" % seg)
                self.segs[seg] = Seg(*SEL[name])
            else:
                getattr(self, "b_" + k)(r)
        self.undef |= ARITH
        self.emit("mov [ss:rt_tmp], eax")
        if self.paging:  # CR0.PG off before protected mode is left (SDM Vol.3A 9.9.2)
            self.emit("mov eax, cr0", "and eax, 0x7FFFFFFF", "mov cr0, eax")
            self.paging = False
        for seg in DSEGS:
            name = r.choice(list(SEL))
            self.emit("mov ax, 0x%x" % SEL[name][0], "mov %s, ax" % seg)
            self.segs[seg] = Seg(*SEL[name])
        self.emit("mov ax, 0x20", "mov ss, ax")
        if body32:
            self.emit("jmp 0x18:%s" % pm16, "bits 16", "%s:" % pm16)
        self.bits = 16
        self.pm = False
        self.emit("mov eax, cr0", "and al, 0xFE", "mov cr0, eax", "jmp 0:%s" % rm, "%s:" % rm)
        if r.random() < 0.5:
            self.emit("xor ax, ax", "mov ss, ax")
        for seg in DSEGS:
            if r.random() < 0.6:   # reload in real mode: the base follows, the limit stays
                s = self.segs[seg]
                val = r.randrange(0, 0x2000) if s.big else r.randrange(0x1000, 0x1F01)
                self.emit("mov ax, 0x%x" % val, "mov %s, ax" % seg)
                self.set_real(seg, val)
        self.emit("mov eax, [cs:rt_tmp]")
