; config: ice40
; The iCE40 bitstream's program: a DMA read into ABUF, a matmul handed to
; the matrix unit's port (a test double on iCE40: start/done only), a DMA
; write of the ABUF row back to memory, with dependency tokens between the
; three queues.
load ch=0 buf=abuf rows=1 row_bytes=32 hbm_addr=0x0 hbm_stride=0 buf_addr=0x0 buf_stride=0 +push_next
matmul mode=0 m=4 n=8 k=4 a_addr=0x0 a_pitch=4 b_addr=0x0 acc_addr=0x0 acc_pitch=32 abits=8 bbits=8 +pop_prev +push_next
store ch=0 buf=abuf rows=1 row_bytes=32 hbm_addr=0x200 hbm_stride=0 buf_addr=0x0 buf_stride=0 +pop_prev
halt
