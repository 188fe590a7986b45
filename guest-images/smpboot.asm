; smpboot: INIT-SIPI-SIPI of the AP from real mode, IPIs both ways, a re-INIT (include/smpboot.inc).
%include "smpboot.inc"
