; config: tiny-2ch
; hbm: 8192
; Weight loads: each channel fills its own slice of 64-byte tiles, as one
; byte stream across rows (2 tiles from channel 0, 3 from channel 1).
load ch=0 buf=wbuf rows=2 row_bytes=32 hbm_addr=0x0 hbm_stride=64 buf_addr=0x80 buf_stride=0
load ch=1 buf=wbuf rows=1 row_bytes=96 hbm_addr=0x100 hbm_stride=0 buf_addr=0x60 buf_stride=0
load ch=1 buf=kvbuf rows=2 row_bytes=32 hbm_addr=0x400 hbm_stride=32 buf_addr=0x20 buf_stride=64
halt
