; smpinit: smpboot, then the seed's self-INIT done on the AP: only the AP restarts
; (include/smpboot.inc).
%define AP_SELF_INIT
%include "smpboot.inc"
