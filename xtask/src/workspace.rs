//! Where things are: the workspace root, its `.cache/` directory and the log directory.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The workspace root: the parent of this crate's manifest directory.
pub(crate) fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `<workspace root>/.cache`, created if missing (git-ignored).
pub(crate) fn cache_dir() -> Result<PathBuf> {
    let dir = root().join(".cache");
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create cache directory {}", dir.display()))?;
    Ok(dir)
}

/// `<workspace root>/.cache/logs`, for server logs kept off the terminal.
pub(crate) fn log_dir() -> Result<PathBuf> {
    let dir = cache_dir()?.join("logs");
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create log directory {}", dir.display()))?;
    Ok(dir)
}

/// The last `lines` lines of a text file, for error messages about a dead server.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => "(the log is empty)".to_owned(),
        Ok(text) => crate::text::last_lines(&text, lines),
        Err(error) => format!("(cannot read {}: {error})", path.display()),
    }
}
