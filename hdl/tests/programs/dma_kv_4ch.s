; config: tiny-4ch
; hbm: 8192
; KV rows on four channels (row r on channel r mod 4, bank r mod 16),
; stored back with a different stride.
load ch=0 buf=kvbuf rows=3 row_bytes=32 hbm_addr=0x0 hbm_stride=32 buf_addr=0x0 buf_stride=128
load ch=1 buf=kvbuf rows=2 row_bytes=32 hbm_addr=0x100 hbm_stride=64 buf_addr=0x220 buf_stride=512
load ch=2 buf=kvbuf rows=1 row_bytes=32 hbm_addr=0x200 hbm_stride=0 buf_addr=0x1c40 buf_stride=0
load ch=3 buf=kvbuf rows=4 row_bytes=32 hbm_addr=0x300 hbm_stride=32 buf_addr=0x60 buf_stride=128 +push_next
nop queue=1 +pop_prev +push_next
store ch=0 buf=kvbuf rows=3 row_bytes=32 hbm_addr=0x1000 hbm_stride=64 buf_addr=0x0 buf_stride=128 +pop_prev
store ch=3 buf=kvbuf rows=4 row_bytes=32 hbm_addr=0x1000 hbm_stride=32 buf_addr=0x60 buf_stride=128
store ch=2 buf=kvbuf rows=1 row_bytes=32 hbm_addr=0x1800 hbm_stride=0 buf_addr=0x1c40 buf_stride=0
halt
