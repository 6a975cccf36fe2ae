//! Output files checked before a run: a report that cannot be written, or
//! that would overwrite another output or one of the run's inputs, is found
//! out before any load is sent or any trace is read, not after.

use std::{
    fs::OpenOptions,
    io,
    path::{Path, PathBuf},
};

/// Why an output path was refused; every variant names the flag.
#[derive(Debug, thiserror::Error)]
pub enum OutputPathError {
    /// The directory the file would be written in is not there.
    #[error("{flag} {}: the directory {} does not exist", .path.display(), .dir.display())]
    NoDirectory {
        /// The flag that gave the path, e.g. `--json`.
        flag: String,
        /// The path as given.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
    },
    /// The path names a directory, not a file.
    #[error("{flag} {}: is a directory, not a file", .path.display())]
    IsDirectory {
        /// The flag that gave the path.
        flag: String,
        /// The path as given.
        path: PathBuf,
    },
    /// The file cannot be opened (or created) for writing.
    #[error("{flag} {}: cannot write there", .path.display())]
    NotWritable {
        /// The flag that gave the path.
        flag: String,
        /// The path as given.
        path: PathBuf,
        /// What opening it for writing said.
        #[source]
        source: io::Error,
    },
    /// Two outputs are the same file: one would overwrite the other.
    #[error("{flag} {} and {other_flag} {} are the same file", .path.display(), .other_path.display())]
    SameOutput {
        /// The later flag.
        flag: String,
        /// Its path as given.
        path: PathBuf,
        /// The earlier flag naming the same file.
        other_flag: String,
        /// Its path as given.
        other_path: PathBuf,
    },
    /// An output directory is, or lies below, something that is not a
    /// directory: it could never be created.
    #[error("{flag} {}: {} is not a directory", .path.display(), .blocker.display())]
    NotADirectory {
        /// The flag that gave the directory.
        flag: String,
        /// The directory as given.
        path: PathBuf,
        /// The existing path in the way (the directory itself or a parent).
        blocker: PathBuf,
    },
    /// No file can be created in an output directory (or in the nearest
    /// existing directory above one that does not exist yet).
    #[error("{flag} {}: cannot create files in {}", .path.display(), .dir.display())]
    DirectoryNotWritable {
        /// The flag that gave the directory.
        flag: String,
        /// The directory as given.
        path: PathBuf,
        /// The existing directory that was probed.
        dir: PathBuf,
        /// What creating a file in it said.
        #[source]
        source: io::Error,
    },
    /// An output is one of the run's inputs: writing it would destroy it.
    #[error("{flag} {} is the input of {input_flag} {}: it would be overwritten", .path.display(), .input_path.display())]
    OutputIsInput {
        /// The output's flag.
        flag: String,
        /// Its path as given.
        path: PathBuf,
        /// The input's flag.
        input_flag: String,
        /// The input's path as given.
        input_path: PathBuf,
    },
}

/// The files a run will write and read, each with the flag that named it,
/// checked together by [`RunFiles::check`].
#[derive(Debug, Default)]
pub struct RunFiles<'a> {
    outputs: Vec<(&'a str, &'a Path)>,
    directories: Vec<(&'a str, &'a Path)>,
    inputs: Vec<(&'a str, &'a Path)>,
}

impl<'a> RunFiles<'a> {
    /// No files yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A file the run writes, given by `flag` (nothing when `path` is `None`).
    #[must_use]
    pub fn output(mut self, flag: &'a str, path: Option<&'a Path>) -> Self {
        self.outputs.extend(path.map(|p| (flag, p)));
        self
    }

    /// A directory the run may create and write files in, given by `flag`
    /// (nothing when `path` is `None`). Nothing is created by the check: a
    /// run that never writes there leaves no directory behind.
    #[must_use]
    pub fn directory(mut self, flag: &'a str, path: Option<&'a Path>) -> Self {
        self.directories.extend(path.map(|p| (flag, p)));
        self
    }

    /// Files the run reads, given by `flag`.
    #[must_use]
    pub fn inputs(mut self, flag: &'a str, paths: impl IntoIterator<Item = &'a Path>) -> Self {
        self.inputs.extend(paths.into_iter().map(|p| (flag, p)));
        self
    }

    /// Checks that every output can be written (its directory exists, it is
    /// not a directory; an existing file opens for writing and is left as
    /// it is, for a new one a uniquely named temporary file is created in
    /// its directory and removed at once, so that nothing ever appears at
    /// the path given), that no two outputs are the same file and that no
    /// output is an input, however each path is spelled (`F`, `./F`,
    /// `d/../F`, a symbolic link); and that every output directory is one
    /// or can be created (the nearest part of its path that exists is a
    /// directory, and a temporary file can be created in it the same way).
    pub fn check(&self) -> Result<(), OutputPathError> {
        for &(flag, path) in &self.directories {
            check_directory(flag, path)?;
        }
        let mut seen: Vec<(PathBuf, &str, &Path)> = Vec::new();
        for &(flag, path) in &self.outputs {
            check_writable(flag, path)?;
            let Some(identity) = identity(path) else {
                continue;
            };
            if let Some((_, other_flag, other_path)) = seen.iter().find(|(id, ..)| *id == identity)
            {
                return Err(OutputPathError::SameOutput {
                    flag: flag.to_owned(),
                    path: path.to_owned(),
                    other_flag: (*other_flag).to_owned(),
                    other_path: other_path.to_path_buf(),
                });
            }
            if let Some(&(input_flag, input_path)) = self
                .inputs
                .iter()
                .find(|(_, input)| identity_of_existing(input).as_ref() == Some(&identity))
            {
                return Err(OutputPathError::OutputIsInput {
                    flag: flag.to_owned(),
                    path: path.to_owned(),
                    input_flag: input_flag.to_owned(),
                    input_path: input_path.to_owned(),
                });
            }
            seen.push((identity, flag, path));
        }
        Ok(())
    }
}

/// The directory `path` is written in (`.` for a bare file name).
fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn check_writable(flag: &str, path: &Path) -> Result<(), OutputPathError> {
    let dir = directory(path);
    if !dir.is_dir() {
        return Err(OutputPathError::NoDirectory {
            flag: flag.to_owned(),
            path: path.to_owned(),
            dir: dir.to_owned(),
        });
    }
    if path.is_dir() {
        return Err(OutputPathError::IsDirectory {
            flag: flag.to_owned(),
            path: path.to_owned(),
        });
    }
    let writable = if path.exists() {
        // Opening without creating or truncating leaves the file as it is.
        OpenOptions::new().write(true).open(path).map(drop)
    } else {
        probe(dir)
    };
    writable.map_err(|source| OutputPathError::NotWritable {
        flag: flag.to_owned(),
        path: path.to_owned(),
        source,
    })
}

/// Whether files can be created in `dir`: a uniquely named temporary file
/// is created there and removed at once. A kill between the two leaves a
/// hidden `.tracing-proof-probe*` file, never an empty file at a path the
/// user named (nor, through a dangling symbolic link, at its target).
fn probe(dir: &Path) -> io::Result<()> {
    tempfile::Builder::new()
        .prefix(".tracing-proof-probe")
        .tempfile_in(dir)
        .map(drop)
}

fn check_directory(flag: &str, path: &Path) -> Result<(), OutputPathError> {
    // Where the run will create its files, or the directories down to them
    // (`.` for a relative path none of whose parts exists yet).
    let existing = path
        .ancestors()
        .find(|p| !p.as_os_str().is_empty() && p.exists())
        .unwrap_or(Path::new("."));
    if !existing.is_dir() {
        return Err(OutputPathError::NotADirectory {
            flag: flag.to_owned(),
            path: path.to_owned(),
            blocker: existing.to_owned(),
        });
    }
    probe(existing).map_err(|source| OutputPathError::DirectoryNotWritable {
        flag: flag.to_owned(),
        path: path.to_owned(),
        dir: existing.to_owned(),
        source,
    })
}

/// One spelling per file: the canonical path of an existing file, else its
/// canonical directory joined with its name.
fn identity(path: &Path) -> Option<PathBuf> {
    identity_of_existing(path).or_else(|| {
        let dir = directory(path).canonicalize().ok()?;
        Some(dir.join(path.file_name()?))
    })
}

fn identity_of_existing(path: &Path) -> Option<PathBuf> {
    path.canonicalize().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files<'a>(outputs: &[(&'a str, &'a Path)], inputs: &[(&'a str, &'a Path)]) -> RunFiles<'a> {
        let mut files = RunFiles::new();
        for &(flag, path) in outputs {
            files = files.output(flag, Some(path));
        }
        for &(flag, path) in inputs {
            files = files.inputs(flag, [path]);
        }
        files
    }

    #[test]
    fn a_missing_directory_names_the_flag_and_the_directory() {
        let err = files(&[("--json", Path::new("/nonexistent/x.json"))], &[])
            .check()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "--json /nonexistent/x.json: the directory /nonexistent does not exist"
        );
    }

    #[test]
    fn a_directory_or_a_file_under_a_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = files(&[("--output", dir.path())], &[]).check().unwrap_err();
        assert!(matches!(err, OutputPathError::IsDirectory { .. }), "{err}");
        let file = dir.path().join("f");
        std::fs::write(&file, "keep").unwrap();
        let under = file.join("x.json");
        let err = files(&[("--json", &under)], &[]).check().unwrap_err();
        assert!(matches!(err, OutputPathError::NoDirectory { .. }), "{err}");
        assert!(err.to_string().starts_with("--json "), "{err}");
    }

    #[test]
    fn a_writable_output_is_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.json");
        let old = dir.path().join("old.json");
        std::fs::write(&old, "before").unwrap();
        files(&[("--json", &new), ("--junit", &old)], &[])
            .check()
            .unwrap();
        assert!(!new.exists(), "the probe is removed");
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "before");
    }

    /// The check never creates anything at the path given: through a
    /// dangling symbolic link, creating and removing the output itself
    /// would make an empty file at the link's target and delete the link.
    #[cfg(unix)]
    #[test]
    fn the_check_creates_nothing_at_the_output_path_even_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.json");
        let link = dir.path().join("report.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let before = entries(dir.path());
        files(&[("--json", &link)], &[]).check().unwrap();
        assert!(!target.exists(), "no file made at the link's target");
        assert!(
            link.symlink_metadata().is_ok(),
            "the link is left as it was"
        );
        assert_eq!(entries(dir.path()), before, "no probe left behind");
    }

    fn entries(dir: &Path) -> Vec<std::ffi::OsString> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    }

    /// Files cannot be created in `/proc`, even by root (the tests run as
    /// root, where permissions cannot be shown to refuse).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_directory_no_file_can_be_created_in_is_refused() {
        for dir in ["/proc", "/proc/kept-traces"] {
            let err = RunFiles::new()
                .directory("--keep-traces", Some(Path::new(dir)))
                .check()
                .unwrap_err();
            assert!(
                matches!(err, OutputPathError::DirectoryNotWritable { .. }),
                "{err}"
            );
            assert_eq!(
                err.to_string(),
                format!("--keep-traces {dir}: cannot create files in /proc")
            );
        }
        let err = files(&[("--json", Path::new("/proc/x.json"))], &[])
            .check()
            .unwrap_err();
        assert!(matches!(err, OutputPathError::NotWritable { .. }), "{err}");
    }

    #[test]
    fn the_same_file_twice_is_refused_however_spelled() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let a = dir.path().join("run.jsonl");
        let b = dir.path().join("sub/../run.jsonl");
        let c = dir.path().join("./run.jsonl");
        for other in [&a, &b, &c] {
            let err = files(&[("--manifest", &a), ("--json", other)], &[])
                .check()
                .unwrap_err();
            assert!(matches!(err, OutputPathError::SameOutput { .. }), "{err}");
            assert!(
                err.to_string().contains("--json") && err.to_string().contains("--manifest"),
                "{err}"
            );
        }
        files(
            &[("--manifest", &a), ("--json", &dir.path().join("r.json"))],
            &[],
        )
        .check()
        .unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn an_input_as_output_is_refused_through_a_link_too() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("run.jsonl");
        std::fs::write(&input, "{}\n").unwrap();
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        let err = files(&[("--output", &link)], &[("--manifest", &input)])
            .check()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "--output {} is the input of --manifest {}: it would be overwritten",
                link.display(),
                input.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&input).unwrap(), "{}\n");
    }

    #[test]
    fn an_output_directory_is_one_or_can_be_made_and_is_not_made_by_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("run.jsonl");
        std::fs::write(&file, "{}\n").unwrap();
        let fresh = dir.path().join("kept/traces");
        for ok in [dir.path(), fresh.as_path()] {
            RunFiles::new()
                .directory("--keep-traces", Some(ok))
                .check()
                .unwrap();
        }
        assert!(!dir.path().join("kept").exists(), "nothing created");
        for bad in [file.clone(), file.join("traces")] {
            let err = RunFiles::new()
                .directory("--keep-traces", Some(&bad))
                .check()
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "--keep-traces {}: {} is not a directory",
                    bad.display(),
                    file.display()
                )
            );
        }
    }
}
