"""MooseFS for the moosefs-master agent. Pure parsers and policy: `config` (configuration
files), `metadata` (how fresh a data directory's metadata is), `mfscli` (its output; the real
captures in tests/data/moosefs are test cases), `score` (which copy may be promoted). I/O:
`service` (the daemons: lock files, start, bounded stop, private configuration files).

Facts of MooseFS 3.0.117 this package is built on:
- `mfsmaster start` forks the daemon once it listens; it fails with "can't find metadata.mfs -
  try using option '-a'" after a crash (the running master keeps only metadata.mfs.back), and
  `mfsmaster -a` replays the changelogs onto the newest metadata file it finds in DATA_PATH,
  including a metalogger's metadata_ml.mfs.back and changelog_ml.*.mfs: no renaming is needed.
- `DATA_PATH/.mfsmaster.lock` (.mfsmetalogger.lock) holds the daemon's pid and stays after a
  stop; the daemon holds a lock on it while it runs.
- `mfsmaster stop` waits for the lock up to `-t` seconds (default 1800) and then gives up, rc 1.
"""
