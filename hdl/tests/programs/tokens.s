; config: tiny
; hbm: 8192
; Tokens around all four counters, nops on every queue, pushes that wait
; for their queue's transfers.
nop queue=1 +push_prev
nop queue=1 +push_prev
load ch=0 buf=abuf rows=1 row_bytes=128 hbm_addr=0x0 hbm_stride=0 buf_addr=0x0 buf_stride=0 +pop_next
load ch=0 buf=abuf rows=1 row_bytes=128 hbm_addr=0x80 hbm_stride=0 buf_addr=0x80 buf_stride=0
nop queue=0 +pop_next +push_next
nop queue=1 +pop_prev +push_next
store ch=0 buf=abuf rows=1 row_bytes=256 hbm_addr=0x1000 hbm_stride=0 buf_addr=0x0 buf_stride=0 +pop_prev
nop queue=2 +push_prev
nop queue=1 +pop_next +push_next
nop queue=2 +pop_prev
halt
