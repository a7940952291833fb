# Two entry points for a newcomer: `make server` and `make test`.
# Both go through `make setup`, which is idempotent.
PYTHON ?= python3
VENV := .venv
DEBS := etcd-server etcd-client
DATA_DIR ?= $(CURDIR)/.kubelite

.PHONY: setup server test lint proto bench
setup: $(VENV)/.installed
	@if [ "$$(id -u)" = 0 ]; then \
	  missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  fi; \
	fi

$(VENV)/.installed: pyproject.toml
	[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

server: setup
	$(VENV)/bin/kubelite server --data-dir $(DATA_DIR)

lint: setup
	$(VENV)/bin/ruff check src tests bench

test: lint
	$(VENV)/bin/pytest -q

bench: setup
	$(VENV)/bin/python bench/store.py
	$(VENV)/bin/python bench/apiserver.py
	$(VENV)/bin/python bench/simulator.py
	$(VENV)/bin/python bench/scheduler.py

# Regenerates the protobuf and gRPC modules from the .proto files
# (needs the dev extra: grpcio-tools).
proto:
	$(VENV)/bin/pip install -q -e '.[dev]'
	find src/kubelite -name '*_pb2*.py' -delete
	$(VENV)/bin/python -m grpc_tools.protoc -Isrc --python_out=src --grpc_python_out=src \
	  $$(find src/kubelite -name '*.proto')
	for f in $$(grep -L '^service ' $$(find src/kubelite -name '*.proto')); do \
	  rm -f $${f%.proto}_pb2_grpc.py; done
