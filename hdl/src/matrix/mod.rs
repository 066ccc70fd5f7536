//! The matrix unit: R×C MAC lanes in matrix-matrix and matrix-vector modes.
