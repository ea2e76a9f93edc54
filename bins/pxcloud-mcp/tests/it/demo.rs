//! `--demo` through the real binary: the README's first command, over stdio and HTTP in both eras.
