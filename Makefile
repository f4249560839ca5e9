# pyha — Pacemaker OCF resource agents in Python.
#
#   make deps     install what the tests need (apt and pip; idempotent)
#   make install  agents into $(DESTDIR)/usr/lib/ocf/resource.d/pyha, ocf_lib beside them
#   make test     every test tier (unit, netns, cluster, vm); TIERS="unit netns" selects
#   make check    metadata against the DTD and both RNGs, and ocf-tester on every agent
#   make bench    monitors against the shell agents they replace
#   make demo     the main job: a two-node cluster, a pyha topology, a failover, its outage

PREFIX      ?= /usr
OCF_ROOT    ?= $(PREFIX)/lib/ocf
PYTHON      ?= /usr/bin/python3
AGENTS      := $(notdir $(wildcard agents/*))
PROVIDERDIR := $(DESTDIR)$(OCF_ROOT)/resource.d/pyha
LIBDIR      := $(DESTDIR)$(OCF_ROOT)/lib/pyha
TOOLS       := .tools/bin
PYTEST_ARGS ?=

.PHONY: all deps install uninstall metadata test lint check bench demo clean

all: metadata

deps:
	tools/install-deps

LIBFILES    := $(shell find ocf_lib -name '*.py' | sort)

install:
	install -d -m 0755 $(PROVIDERDIR)
	install -m 0755 $(addprefix agents/,$(AGENTS)) $(PROVIDERDIR)/
	install -D -m 0755 bin/pyha $(DESTDIR)$(PREFIX)/sbin/pyha
	for file in $(LIBFILES); do install -D -m 0644 $$file $(LIBDIR)/$$file || exit 1; done

uninstall:
	rm -f $(addprefix $(PROVIDERDIR)/,$(AGENTS)) $(DESTDIR)$(PREFIX)/sbin/pyha
	rm -rf $(LIBDIR)/ocf_lib
	-rmdir $(PROVIDERDIR) $(LIBDIR)

# Regenerate the checked-in metadata; tests fail when it drifts from the agents.
metadata:
	for agent in $(AGENTS); do agents/$$agent meta-data > metadata/$$agent.xml || exit 1; done

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
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
