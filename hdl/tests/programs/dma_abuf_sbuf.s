; config: tiny
; hbm: 16384
; 2-D loads into ABUF and SBUF, stores of ABUF rows with strides.
load ch=0 buf=abuf rows=3 row_bytes=64 hbm_addr=0x0 hbm_stride=96 buf_addr=0x100 buf_stride=128
load ch=0 buf=sbuf rows=2 row_bytes=32 hbm_addr=0x800 hbm_stride=32 buf_addr=0x40 buf_stride=64 +push_next
nop queue=1 +pop_prev +push_next
store ch=0 buf=abuf rows=3 row_bytes=64 hbm_addr=0x2000 hbm_stride=64 buf_addr=0x100 buf_stride=128 +pop_prev
store ch=0 buf=abuf rows=1 row_bytes=32 hbm_addr=0x3000 hbm_stride=0 buf_addr=0x1a0 buf_stride=0
halt
