//! Writing into an output folder without ever leaving half-written files: everything goes into a
//! hidden staging folder beside it, and files are moved into place only when all are complete.

use std::path::{Path, PathBuf};

use crate::error::{Result, SimError};

/// A staging folder for one output folder.
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    done: bool,
}

impl Staging {
    /// Creates the staging folder beside `target`.
    pub fn new(target: &Path) -> Result<Staging> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "out".into());
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| SimError::io(&parent, e))?;
        if target.exists() && !target.is_dir() {
            return Err(SimError::io(target, "exists and is not a folder"));
        }
        let dir = parent.join(format!(".{name}.partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| SimError::io(&dir, e))?;
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
            done: false,
        })
    }

    /// Path of a file inside the staging folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes a whole file into the staging folder.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| SimError::io(parent, e))?;
        }
        std::fs::write(&p, bytes).map_err(|e| SimError::io(&p, e))
    }

    /// Moves every staged file into the target folder, replacing files of the same name, and
    /// returns their final paths.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(&self.target).map_err(|e| SimError::io(&self.target, e))?;
        let mut moved = Vec::new();
        let entries: Vec<_> = std::fs::read_dir(&self.dir)
            .map_err(|e| SimError::io(&self.dir, e))?
            .collect();
        for entry in entries {
            let entry = entry.map_err(|e| SimError::io(&self.dir, e))?;
            let to = self.target.join(entry.file_name());
            if to.is_dir() {
                std::fs::remove_dir_all(&to).map_err(|e| SimError::io(&to, e))?;
            }
            std::fs::rename(entry.path(), &to).map_err(|e| SimError::io(&to, e))?;
            moved.push(to);
        }
        moved.sort();
        let _ = std::fs::remove_dir_all(&self.dir);
        self.done = true;
        Ok(moved)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Writes one file whole: into a hidden sibling first, then renamed over `path`.
pub fn write_file_atomic(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| SimError::io(path, "not a file path"))?;
    let tmp = path.with_file_name(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    if let Err(e) = std::fs::write(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(SimError::io(path, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        SimError::io(path, e)
    })
}
