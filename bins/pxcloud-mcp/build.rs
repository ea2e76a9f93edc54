//! Release builds place the functions that run at start-up next to each other.
//!
//! The kernel maps a binary's code in 64 KB windows around every page that runs, so code that
//! runs once at start-up but lies scattered over the 16 MB text section costs resident memory
//! far beyond its size: 6.7 MB of code was resident after start-up and a few calls. With the
//! functions that run laid out together, peak RSS went from 14.7 MB to 9.8 MB when the list
//! was taken from the same code, and to 12.4 MB with a list a few changes older (names of
//! changed functions no longer match).
//! The list of those functions is `link/startup-order.txt`, written by `cargo xtask
//! link-order` from a run of the server under callgrind; it is handed to the linker with
//! `--symbol-ordering-file`, which only lld and mold understand.
//!
//! So it is used only where rustc links with lld by default (x86_64 Linux GNU, rustc 1.90 on)
//! and nobody chose another linker; `PXCLOUD_MCP_LINK_ORDER=0` turns it off. Names missing
//! from the binary (the list is older than the code) are skipped without a warning: the
//! binary is correct either way, only less compact — `cargo xtask bench` reports how much of
//! the list still matches.

use std::env;
use std::path::Path;
use std::process::Command;

const ORDER_FILE: &str = "link/startup-order.txt";
const SWITCH: &str = "PXCLOUD_MCP_LINK_ORDER";

fn main() {
    println!("cargo:rerun-if-changed={ORDER_FILE}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed={SWITCH}");
    if let Some(path) = order_file() {
        println!(
            "cargo:rustc-link-arg-bin=pxcloud-mcp=-Wl,--symbol-ordering-file={}",
            path.display()
        );
        println!("cargo:rustc-link-arg-bin=pxcloud-mcp=-Wl,--no-warn-symbol-ordering");
    }
}

/// The ordering file when this build should use it.
fn order_file() -> Option<std::path::PathBuf> {
    if env::var("PROFILE").ok()? != "release" || env::var(SWITCH).is_ok_and(|v| v == "0") {
        return None;
    }
    let target = (
        env::var("CARGO_CFG_TARGET_ARCH").ok()?,
        env::var("CARGO_CFG_TARGET_OS").ok()?,
        env::var("CARGO_CFG_TARGET_ENV").ok()?,
    );
    if target != ("x86_64".into(), "linux".into(), "gnu".into()) {
        return None;
    }
    // A linker chosen in the configuration or the flags may not be lld.
    if env::var_os("RUSTC_LINKER").is_some() {
        return None;
    }
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if ["linker", "fuse-ld", "link-self-contained"]
        .iter()
        .any(|f| flags.contains(f))
    {
        return None;
    }
    if !rustc_links_with_lld() {
        return None;
    }
    let path = Path::new(&env::var_os("CARGO_MANIFEST_DIR")?).join(ORDER_FILE);
    path.is_file().then_some(path)
}

/// rustc 1.90 and later link x86_64 Linux GNU programs with its own lld by default.
fn rustc_links_with_lld() -> bool {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(out) = Command::new(rustc).arg("--version").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let mut numbers = text
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .split(['.', '-'])
        .map(|n| n.parse::<u32>().ok());
    matches!(
        (numbers.next(), numbers.next()),
        (Some(Some(major)), Some(Some(minor))) if (major, minor) >= (1, 90)
    )
}
