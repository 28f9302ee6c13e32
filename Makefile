# make run: set up, generate the example media, start the daemon on it and open the admin TUI.
# make test: set up, then run every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MEDIA := examples/media
DB ?= examples/reelprint.db

.PHONY: setup media run daemon test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

media: $(MEDIA)/.complete

$(MEDIA)/.complete: examples/make_library.py | setup
	$(BIN)/python examples/make_library.py $(MEDIA)

run: setup media
	$(BIN)/reelprint --db $(DB) roots add $(MEDIA)
	$(BIN)/reelprint --db $(DB) tui --with-daemon

# The watch daemon on the example media, in the foreground (Ctrl-C stops it).
daemon: setup media
	$(BIN)/reelprint --db $(DB) roots add $(MEDIA)
	$(BIN)/reelprint --db $(DB) daemon

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check plugin tui tests examples bench

bench: setup
	$(BIN)/python bench/index_speed.py

clean:
	rm -rf $(VENV) $(MEDIA) $(DB) $(DB)-wal $(DB)-shm $(DB).lock $(DB).log*
