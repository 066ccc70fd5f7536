; config: tiny
; hbm: 4096
; Nothing after a halt runs.
load ch=0 buf=abuf rows=1 row_bytes=32 hbm_addr=0x0 hbm_stride=0 buf_addr=0x0 buf_stride=0
halt
load ch=0 buf=abuf rows=1 row_bytes=32 hbm_addr=0x20 hbm_stride=0 buf_addr=0x20 buf_stride=0
store ch=0 buf=abuf rows=1 row_bytes=32 hbm_addr=0x800 hbm_stride=0 buf_addr=0x0 buf_stride=0
