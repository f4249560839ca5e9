"""NFS serving for the nfsserver agent: exports (pure), the NFS state directory, daemons that are
tracked by pid, and the two servers (kernel nfsd, NFS-Ganesha)."""
