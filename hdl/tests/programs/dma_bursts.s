; config: tiny
; hbm: 16384
; Rows longer than max_burst (4 beats) that cross 4 KiB boundaries, on
; loads and stores; a store right after its load (tokens order them).
load ch=0 buf=abuf rows=2 row_bytes=416 hbm_addr=0xf80 hbm_stride=1024 buf_addr=0x0 buf_stride=416 +push_next
nop queue=1 +pop_prev +push_next
store ch=0 buf=abuf rows=2 row_bytes=416 hbm_addr=0x1f40 hbm_stride=512 buf_addr=0x0 buf_stride=416 +pop_prev
halt
