; config: tiny-4ch
; hbm: 16384
; P-COMP-1: transfers with hbm_stride = row_bytes are burst as one memory
; range (bursts span rows, split at max_burst = 4 beats and at 4 KiB) while
; each row keeps its own buffer address (KVBUF rows 4 apart, ABUF rows with
; a gap, a WBUF stream); loads and stores.
load ch=1 buf=kvbuf rows=12 row_bytes=32 hbm_addr=0xf40 hbm_stride=32 buf_addr=0x20 buf_stride=128
load ch=0 buf=abuf rows=3 row_bytes=96 hbm_addr=0x1fa0 hbm_stride=96 buf_addr=0x100 buf_stride=128
load ch=2 buf=wbuf rows=3 row_bytes=64 hbm_addr=0xfc0 hbm_stride=64 buf_addr=0x40 buf_stride=0 +push_next
nop queue=1 +pop_prev +push_next
store ch=1 buf=kvbuf rows=12 row_bytes=32 hbm_addr=0x2fe0 hbm_stride=32 buf_addr=0x20 buf_stride=128 +pop_prev
store ch=0 buf=abuf rows=3 row_bytes=96 hbm_addr=0x2f80 hbm_stride=96 buf_addr=0x100 buf_stride=128
halt
