# pyha — Pacemaker OCF resource agents in Python.
#
#   make deps     install what the tests need (apt and pip; idempotent)
#   make install  agents into $(DESTDIR)/usr/lib/ocf/resource.d/pyha, ocf_lib beside them
#   make test     every test tier (unit, netns, cluster, vm); TIERS="unit netns" selects
#   make check    metadata against the DTD and both RNGs, ocf-tester, pcs, the RPM, the recipes
#   make bench    monitors against the shell agents they replace
#   make demo     the main job: a two-node cluster, a pyha topology, a failover, its outage
#   make man      build/man/ocf_pyha_<agent>.7, from each agent's meta-data
#   make doc      build/doc/agents/<agent>.md, reference pages from the same metadata
#   make rpm      a noarch RPM of the work tree as it is, into build/rpm/RPMS (pyha.spec)

PREFIX      ?= /usr
OCF_ROOT    ?= $(PREFIX)/lib/ocf
PYTHON      ?= /usr/bin/python3
AGENTS      := $(notdir $(wildcard agents/*))
PROVIDERDIR := $(DESTDIR)$(OCF_ROOT)/resource.d/pyha
LIBDIR      := $(DESTDIR)$(OCF_ROOT)/lib/pyha
TOOLS       := .tools/bin
PYTEST_ARGS ?=
VERSION     := $(shell sed -n 's/^Version:[[:space:]]*//p' pyha.spec)
BUILDDIR    ?= build
RPM_TOPDIR  ?= $(abspath $(BUILDDIR))/rpm
# What the package is built from: uncommitted and untracked files included, so `make rpm`
# packages exactly what the tests ran against (git archive would take the last commit).
DISTFILES   := Makefile pyha.spec README.md pyproject.toml setup.py agents bin ocf_lib metadata \
               tools doc

.PHONY: all deps install uninstall metadata man doc rpm test lint check bench demo clean

all: metadata

deps:
	tools/install-deps

LIBFILES    := $(shell find ocf_lib -name '*.py' | sort)

# Each agent goes into the library as the module pyha_agents.<agent_name>, with a launcher
# (tools/agent-launcher.in) as the executable Pacemaker runs: imported, its bytecode is cached.
install:
	install -d -m 0755 $(PROVIDERDIR) $(LIBDIR)/pyha_agents
	install -m 0644 /dev/null $(LIBDIR)/pyha_agents/__init__.py
	for agent in $(AGENTS); do \
	    module=$$(echo $$agent | tr - _); \
	    install -m 0644 agents/$$agent $(LIBDIR)/pyha_agents/$$module.py && \
	    sed -e "s/@AGENT@/$$agent/g" -e "s/@MODULE@/$$module/g" tools/agent-launcher.in \
	        > $(PROVIDERDIR)/$$agent && chmod 0755 $(PROVIDERDIR)/$$agent || exit 1; \
	done
	install -D -m 0755 bin/pyha $(DESTDIR)$(PREFIX)/sbin/pyha
	for file in $(LIBFILES); do install -D -m 0644 $$file $(LIBDIR)/$$file || exit 1; done

uninstall:
	rm -f $(addprefix $(PROVIDERDIR)/,$(AGENTS)) $(DESTDIR)$(PREFIX)/sbin/pyha
	rm -rf $(LIBDIR)/ocf_lib $(LIBDIR)/pyha_agents
	-rmdir $(PROVIDERDIR) $(LIBDIR)

# Regenerate the checked-in metadata; tests fail when it drifts from the agents.
metadata:
	for agent in $(AGENTS); do agents/$$agent meta-data > metadata/$$agent.xml || exit 1; done

man:
	$(PYTHON) -m tools.agentdoc man --version $(VERSION) --output $(BUILDDIR)/man \
	    $(addprefix agents/,$(AGENTS))

doc:
	$(PYTHON) -m tools.agentdoc doc --output $(BUILDDIR)/doc/agents $(addprefix agents/,$(AGENTS))

# --nodeps: on Debian the build's requirements are dpkg packages, unknown to rpm's database.
rpm:
	mkdir -p $(RPM_TOPDIR)/SOURCES
	tar -czf $(RPM_TOPDIR)/SOURCES/pyha-$(VERSION).tar.gz --exclude=__pycache__ \
	    --exclude='*.pyc' --transform 's,^,pyha-$(VERSION)/,' $(DISTFILES)
	rpmbuild -bb --nodeps --define '_topdir $(RPM_TOPDIR)' pyha.spec

lint:
	$(TOOLS)/ruff check . $(addprefix agents/,$(AGENTS)) bin/pyha

test: lint
	$(PYTHON) -m pytest $(PYTEST_ARGS)

check:
	$(PYTHON) -m pytest -m check $(PYTEST_ARGS)

bench:
	$(PYTHON) bench/run.py

demo:
	$(PYTHON) -m tests.lab.demo

clean:
	rm -rf $(BUILDDIR) dist *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
