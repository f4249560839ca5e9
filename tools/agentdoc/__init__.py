"""Documentation and build checks generated from each agent's OCF metadata.

`python3 -m tools.agentdoc man|doc|check AGENT...` (the Makefile's `man` and `doc` targets and
the RPM's %check). Standard library only, and independent of ocf_lib: it reads what an agent
prints for `meta-data`, exactly as Pacemaker and pcs do.
"""
