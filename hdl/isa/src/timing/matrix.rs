//! Cycle counts of `matmul` on the matrix unit (owned by the matrix-unit design).
