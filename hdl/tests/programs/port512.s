; config: tiny-512
; hbm: 16384
; 64-byte beats: two instructions per fetched beat (an odd count), WBUF
; slices of a 64-byte tile, KV rows of 64 bytes.
load ch=0 buf=wbuf rows=2 row_bytes=128 hbm_addr=0x0 hbm_stride=192 buf_addr=0x40 buf_stride=0
load ch=0 buf=kvbuf rows=2 row_bytes=64 hbm_addr=0x400 hbm_stride=64 buf_addr=0x40 buf_stride=64
load ch=0 buf=abuf rows=2 row_bytes=64 hbm_addr=0x800 hbm_stride=128 buf_addr=0x0 buf_stride=128 +push_next
nop queue=1 +pop_prev +push_next
store ch=0 buf=kvbuf rows=2 row_bytes=64 hbm_addr=0x2000 hbm_stride=128 buf_addr=0x40 buf_stride=64 +pop_prev
store ch=0 buf=abuf rows=1 row_bytes=256 hbm_addr=0x3000 hbm_stride=0 buf_addr=0x0 buf_stride=0
halt
